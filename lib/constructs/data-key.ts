import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Administrative KMS actions. Deliberately excludes every cryptographic operation. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/** Cryptographic actions a data-key user needs for SSE-KMS and envelope encryption. */
export const KEY_USER_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
  // SSE-KMS through AWS services creates grants on the caller's behalf; the deny statement below
  // refuses any grant that is not for an AWS resource.
  'kms:CreateGrant',
];

/** Service-principal actions for SSE-KMS on queues, buses and topics: encrypt and decrypt messages. */
export const SERVICE_USER_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** An AWS service that may use the key on behalf of this account's resources. */
export interface DataKeyServiceUse {
  /** Service principal, e.g. `events.amazonaws.com`. */
  readonly service: string;
  /**
   * ARN patterns (`ArnLike` on aws:SourceArn) of the resources the service acts for, e.g. the rules and
   * buses of one environment. aws:SourceAccount is always this stack's account.
   */
  readonly sourceArnPatterns: readonly string[];
  /** What the service may do with the key. @default SERVICE_USER_ACTIONS (GenerateDataKey, Decrypt) */
  readonly actions?: readonly string[];
  /**
   * Condition key the patterns are matched against, for services that name their resource in the
   * encryption context instead (CloudWatch Logs: `kms:EncryptionContext:aws:logs:arn`).
   * @default 'aws:SourceArn', together with aws:SourceAccount
   */
  readonly sourceArnConditionKey?: string;
}

export interface DataKeyProps {
  /** Alias name, e.g. `alias/stowage/prod/uploads`. */
  readonly aliasName: string;
  /** What the key protects, shown in the console. */
  readonly description: string;
  /**
   * ARN patterns (`ArnLike`) of the principals that may use the key, e.g. every role whose name
   * starts with `Stowage-prod-`. IAM must allow them too: the key policy alone grants nothing.
   */
  readonly userPrincipalArnPatterns: readonly string[];
  /**
   * ARN pattern (`ArnLike` on aws:SourceArn) of the S3 buckets whose service principal may use the key.
   * @default S3 may not use the key (e.g. a messaging key)
   */
  readonly s3SourceArnPattern?: string;
  /**
   * Other AWS services that may use the key, each only for its own resources of this account
   * (aws:SourceAccount and aws:SourceArn). One statement each, with Sid `<Service>UsesKey`.
   * @default none
   */
  readonly servicePrincipals?: readonly DataKeyServiceUse[];
  /**
   * Services (e.g. `dynamodb.eu-west-1.amazonaws.com`) through which any principal of this account that
   * IAM allows may create grants and describe the key (`kms:ViaService`, `kms:CallerAccount`): what
   * DynamoDB needs to create and run a table encrypted with the key.
   * @default none
   */
  readonly grantsViaServices?: readonly string[];
  /** What happens to the key when its stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A customer-managed symmetric KMS key for one kind of data: rotation on, an alias, and a key policy
 * that lets the account administer it but lets only this app's principals and the AWS services named
 * in its props (S3 for this account's Stowage buckets, EventBridge and SQS for its rules, buses and
 * queues), each for this account's resources only, use it. No statement grants `kms:*`.
 */
export class DataKey extends Construct {
  /** The key. */
  readonly key: kms.Key;
  /** Its alias. */
  readonly alias: kms.Alias;

  constructor(scope: Construct, id: string, props: DataKeyProps) {
    super(scope, id);
    if (props.userPrincipalArnPatterns.length === 0) {
      throw new Error(`DataKey ${id}: userPrincipalArnPatterns must name at least one principal pattern`);
    }
    for (const use of props.servicePrincipals ?? []) {
      if (!/^[a-z0-9.-]+\.amazonaws\.com$/.test(use.service)) {
        throw new Error(
          `DataKey ${id}: '${use.service}' is not a service principal such as sqs.amazonaws.com`,
        );
      }
      if (use.sourceArnPatterns.length === 0) {
        throw new Error(`DataKey ${id}: ${use.service} needs at least one sourceArnPatterns entry`);
      }
    }
    const { account } = Stack.of(this);
    const accountRoot = new iam.AccountRootPrincipal();

    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministration',
          principals: [accountRoot],
          actions: KEY_ADMIN_ACTIONS,
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          // Grants let their grantee use the key outside this policy: only AWS services (S3 with a
          // bucket key, for example) may have one created for them.
          sid: 'DenyGrantsExceptForAwsServices',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: {
            BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'StowagePrincipalsUseKey',
          principals: [accountRoot],
          actions: KEY_USER_ACTIONS,
          resources: ['*'],
          conditions: { ArnLike: { 'aws:PrincipalArn': [...props.userPrincipalArnPatterns] } },
        }),
      ],
    });
    if (props.s3SourceArnPattern !== undefined) {
      policy.addStatements(
        new iam.PolicyStatement({
          sid: 'S3ServiceUsesKeyForStowageBuckets',
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: SERVICE_USER_ACTIONS,
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnLike: { 'aws:SourceArn': props.s3SourceArnPattern },
          },
        }),
      );
    }
    for (const use of props.servicePrincipals ?? []) {
      policy.addStatements(
        new iam.PolicyStatement({
          sid: `${serviceSidPrefix(use.service)}UsesKey`,
          principals: [new iam.ServicePrincipal(use.service)],
          actions: [...(use.actions ?? SERVICE_USER_ACTIONS)],
          resources: ['*'],
          conditions:
            use.sourceArnConditionKey === undefined
              ? {
                  StringEquals: { 'aws:SourceAccount': account },
                  ArnLike: { 'aws:SourceArn': [...use.sourceArnPatterns] },
                }
              : { ArnLike: { [use.sourceArnConditionKey]: [...use.sourceArnPatterns] } },
        }),
      );
    }
    if (props.grantsViaServices !== undefined && props.grantsViaServices.length > 0) {
      policy.addStatements(
        new iam.PolicyStatement({
          sid: 'CreateGrantsViaAwsServices',
          principals: [accountRoot],
          actions: ['kms:CreateGrant', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'kms:ViaService': [...props.grantsViaServices], 'kms:CallerAccount': account },
            Bool: { 'kms:GrantIsForAWSResource': 'true' },
          },
        }),
      );
    }

    this.key = new kms.Key(this, 'Key', {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      policy,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(props.removalPolicy === RemovalPolicy.DESTROY ? 7 : 30),
    });
    this.alias = this.key.addAlias(props.aliasName);
  }
}

/** `events.amazonaws.com` → `Events`, `malware-protection-plan.guardduty.amazonaws.com` → `MalwareProtectionPlanGuardduty`. */
function serviceSidPrefix(service: string): string {
  return service
    .replace(/\.amazonaws\.com$/, '')
    .split(/[.-]/)
    .map((part) => `${part[0].toUpperCase()}${part.slice(1)}`)
    .join('');
}
