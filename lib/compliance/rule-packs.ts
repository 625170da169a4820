import { Validations } from 'aws-cdk-lib';
import type { IPolicyValidationPlugin, Stage } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';

/**
 * The security rule packs every synth runs: cdk-nag's AwsSolutions, NIST 800-53 R5, HIPAA Security
 * and Serverless packs, and the Control Tower proactive controls through cfn-guard. Any finding that
 * is not acknowledged on its construct fails synthesis.
 */
export function rulePacks(scope: Stage): IPolicyValidationPlugin[] {
  return [
    new AwsSolutionsChecks(scope),
    new NIST80053R5Checks(scope),
    new HIPAASecurityChecks(scope),
    new ServerlessChecks(scope),
    new CfnGuardValidator({ controlTowerRulesEnabled: true }),
  ];
}

/** Registers the rule packs on an app (or stage). */
export function enforceRulePacks(scope: Stage): void {
  Validations.of(scope).addPlugins(...rulePacks(scope));
}
