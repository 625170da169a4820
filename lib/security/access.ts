import type { IConstruct } from 'constructs';
import { Tags } from 'aws-cdk-lib';
import type { EnvName } from '../config';

/**
 * Attribute-based access to data: bucket policies deny reads to every principal whose IAM tag
 * `stowage:access` is not the right `<env>:<role>` value. Roles that do not exist yet (the intake
 * pipeline, the operations handler) are granted access by carrying the tag, so storage never needs
 * to know their names or ARNs, and a dev pipeline role can never read prod data.
 */
export const ACCESS_TAG_KEY = 'stowage:access';

/** What a principal does with Stowage data. */
export type AccessRole =
  /** Scan, quarantine and process handlers: read uploads before they are clean. */
  | 'pipeline'
  /** Security and operations staff and the operations handler: read quarantined objects. */
  | 'operations';

/** The tag value a principal of `role` in `envName` carries. */
export function accessTagValue(envName: EnvName, role: AccessRole): string {
  return `${envName}:${role}`;
}

/** Tags an IAM role (or any construct holding roles) with the access it is granted. */
export function grantAccessByTag(principal: IConstruct, envName: EnvName, role: AccessRole): void {
  Tags.of(principal).add(ACCESS_TAG_KEY, accessTagValue(envName, role));
}
