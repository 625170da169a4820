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
  /** ARN pattern (`ArnLike` on aws:SourceArn) of the S3 buckets whose service principal may use the key. */
  readonly s3SourceArnPattern: string;
  /** What happens to the key when its stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A customer-managed symmetric KMS key for one kind of data: rotation on, an alias, and a key policy
 * that lets the account administer it but lets only this app's principals and the S3 service of this
 * account's Stowage buckets use it. No statement grants `kms:*`.
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
        new iam.PolicyStatement({
          sid: 'S3ServiceUsesKeyForStowageBuckets',
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnLike: { 'aws:SourceArn': props.s3SourceArnPattern },
          },
        }),
      ],
    });

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
