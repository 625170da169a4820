import type { StackProps } from 'aws-cdk-lib';
import { RemovalPolicy } from 'aws-cdk-lib';
import type { StowageConfig } from '../config';

/** Props every Stowage stack takes: the validated config of its environment. */
export interface StowageStackProps extends StackProps {
  /** The environment's validated configuration. */
  readonly config: StowageConfig;
}

/** The CDK removal policy the config asks for. */
export function removalPolicyOf(config: StowageConfig): RemovalPolicy {
  return config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
