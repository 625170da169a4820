import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type { StackPart } from '../config/naming';

/**
 * The stack outputs users read after `cdk deploy` (docs/deploy.md, "Read the outputs"), by stack part: the one home
 * of their keys and descriptions. Keys are stable (set as the output's logical ID, never derived from a construct path) and no
 * output has an `exportName`: an export would couple other stacks to the value and block updates that change it.
 * The CloudFormation-generated values (bucket names, key ARNs) are what the outputs are for; the fixed names (the
 * results bus, the replica buckets) are output too, so one DescribeStacks per stack answers every question.
 */
export const STACK_OUTPUTS = {
  Keys: {
    UploadsKeyArn: 'ARN of the KMS key of the uploads bucket',
    ProcessedKeyArn: 'ARN of the KMS key of the processed bucket',
    QuarantineKeyArn: 'ARN of the KMS key of the quarantine bucket',
    BackupsKeyArn: 'ARN of the KMS key of the backups bucket (STOWAGE_BACKUPS_KMS_KEY_ID for backup writers)',
    MessagingKeyArn: 'ARN of the KMS key of the intake queues, their DLQs and the results bus',
    StatusKeyArn: 'ARN of the KMS key of the upload status table',
    LogsKeyArn: 'ARN of the KMS key of the handler and API access log groups',
  },
  Storage: {
    UploadsBucketName: 'Uploads bucket: presigned uploads awaiting their scan (uploads/)',
    ProcessedBucketName: 'Processed bucket: clean, processed files and their manifests (processed/)',
    QuarantineBucketName: 'Quarantine bucket: infected or suspicious uploads (quarantine/)',
    BackupsBucketName: 'Backups bucket: database and server backups (backups/) and test/',
    AccessLogsBucketName: 'Access-log bucket: server access logs of the other buckets of this region',
  },
  Replica: {
    ReplicaKeyArn: 'ARN of the KMS key of the replica buckets (replica region)',
    ProcessedReplicaBucketName: 'Replica of the processed bucket (replica region)',
    BackupsReplicaBucketName: 'Replica of the backups bucket (replica region)',
    ReplicaAccessLogsBucketName: 'Access-log bucket of the replica region',
  },
  Intake: {
    HttpApiUrl: 'Base URL of the intake HTTP API (POST /uploads, GET /uploads/{id})',
    ResultsBusName: 'Name of the EventBridge bus scan verdicts are published on',
    ResultsBusArn: 'ARN of the EventBridge bus scan verdicts are published on (for rules of consuming apps)',
  },
  Backups: {
    BackupWriterRoleArn: 'Role backup writers assume (stowage backup push)',
  },
  Operations: {
    DashboardUrl: 'CloudWatch console URL of the Stowage dashboard of this env',
  },
} as const satisfies Record<StackPart, Record<string, string>>;

/** The output keys of one stack part. */
export type StackOutputKey<P extends StackPart> = keyof (typeof STACK_OUTPUTS)[P] & string;

/**
 * Adds the output `key` of stack part `part` with its description from STACK_OUTPUTS. The logical ID is pinned to the
 * key, so it stays the same whatever the stack's logical-ID allocation does, and no export is created.
 */
export function addStackOutput<P extends StackPart>(
  stack: Stack,
  part: P,
  key: StackOutputKey<P>,
  value: string,
): CfnOutput {
  const descriptions: Readonly<Record<string, string>> = STACK_OUTPUTS[part];
  const output = new CfnOutput(stack, key, { description: descriptions[key], value });
  output.overrideLogicalId(key);
  return output;
}
