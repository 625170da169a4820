import { DescribeTableCommand, ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, ListAliasesCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetBucketEncryptionCommand, GetBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, ListTopicsCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsErrorCode } from '../../../core/aws/aws-errors';
import type { StowageConfig } from '../../config';
import { replicaBucketName, type BucketKeyPurpose } from '../../config/naming';
import type { BucketKmsEncryption, DeploymentModel, PolicyDocument } from './deployment-model';
import { allPages, parsePolicy, ReadProblems, type ReadProblem } from './live-reads';
import { readEnvRoles, type LiveRole } from './live-roles';
import { isGeneratedNameOf } from './physical-names';
import { CONTRACT_RESOURCE_REFS, type ContractResources } from './role-calls';

/**
 * Reads an env's deployment from the account into the DeploymentModel the permission contract evaluates (the
 * counterpart of template-model.ts for the synthesized templates): the env's roles with their policies and tags,
 * its buckets' policies and default keys, its keys' policies and aliases (the replica region's too), its queues',
 * topics' and tables' policies and keys. Every read that fails is a ReadProblem naming the permission it needed.
 */

/** The clients the reader uses; S3 and KMS per region (the replica region's buckets and keys). */
export interface LiveClients {
  readonly iam: IAMClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  s3(region: string): S3Client;
  kms(region: string): KMSClient;
}

export interface LiveDeployment {
  readonly model: DeploymentModel;
  readonly roles: readonly LiveRole[];
  /** The names the contract's calls use; undefined when one was not found (a ReadProblem says which). */
  readonly resources?: ContractResources;
  readonly problems: readonly ReadProblem[];
}

/** Every read permission readLiveDeployment uses, besides IAM_READ_PERMISSIONS. */
export const RESOURCE_READ_PERMISSIONS = [
  's3:GetBucketPolicy',
  's3:GetEncryptionConfiguration',
  'kms:ListAliases',
  'kms:GetKeyPolicy',
  'sqs:ListQueues',
  'sqs:GetQueueAttributes',
  'sns:ListTopics',
  'sns:GetTopicAttributes',
  'dynamodb:ListTables',
  'dynamodb:DescribeTable',
] as const;

export async function readLiveDeployment(
  clients: LiveClients,
  config: StowageConfig,
  options: {
    readonly account: string;
    readonly buckets: Readonly<Partial<Record<BucketKeyPurpose, string>>>;
  },
): Promise<LiveDeployment> {
  const { account } = options;
  const { envName, region } = config;
  const problems = new ReadProblems();
  const roles = await readEnvRoles(clients.iam, envName, problems);
  if (problems.all.some((p) => p.permission === 'iam:ListRoles')) {
    // No role to evaluate: reading the rest would only add noise to the one problem that matters.
    const none = new Map();
    return {
      roles,
      problems: problems.all,
      model: {
        account,
        region,
        bucketPolicies: none,
        bucketKeys: none,
        keyPolicies: none,
        keyAliases: none,
        resourceKeys: none,
        resourcePolicies: none,
      },
    };
  }

  const regions = config.replication.enabled ? [region, config.replication.replicaRegion] : [region];
  const keyAliases = new Map<string, string>();
  for (const r of regions) {
    const aliases = await problems.attempt('kms:ListAliases', '*', () =>
      allPages(async (Marker) => {
        const page = await clients.kms(r).send(new ListAliasesCommand({ Marker }));
        return { items: page.Aliases, next: page.Truncated ? page.NextMarker : undefined };
      }),
    );
    for (const alias of aliases ?? []) {
      if (alias.AliasName?.startsWith(`alias/stowage/${envName}/`) && alias.TargetKeyId) {
        keyAliases.set(
          `arn:aws:kms:${r}:${account}:${alias.AliasName}`,
          `arn:aws:kms:${r}:${account}:key/${alias.TargetKeyId}`,
        );
      }
    }
  }
  /** A key id, key ARN, alias name or alias ARN → the key's ARN (undefined: an alias of no key read). */
  const keyArn = (id: string, r: string): string | undefined => {
    if (/^arn:aws:kms:[^:]+:\d{12}:key\//.test(id)) return id;
    if (id.startsWith('alias/')) return keyAliases.get(`arn:aws:kms:${r}:${account}:${id}`);
    if (id.startsWith('arn:aws:kms:')) return keyAliases.get(id);
    return `arn:aws:kms:${r}:${account}:key/${id}`;
  };

  const bucketPolicies = new Map<string, PolicyDocument>();
  const bucketKeys = new Map<string, BucketKmsEncryption>();
  const buckets: [string, string][] = Object.values(options.buckets).map((b) => [b, region]);
  if (config.replication.enabled) {
    for (const bucket of ['processed', 'backups'] as const) {
      buckets.push([replicaBucketName({ ...config, account }, bucket), config.replication.replicaRegion]);
    }
  }
  await Promise.all(
    buckets.map(async ([bucket, r]) => {
      const resource = `arn:aws:s3:::${bucket}`;
      const s3 = clients.s3(r);
      try {
        const policy = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
        if (policy.Policy) bucketPolicies.set(bucket, parsePolicy(policy.Policy));
      } catch (error) {
        // No bucket policy is an answer, not a problem.
        if (awsErrorCode(error) !== 'NoSuchBucketPolicy') problems.add('s3:GetBucketPolicy', resource, error);
      }
      const encryption = await problems.attempt('s3:GetEncryptionConfiguration', resource, () =>
        s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      );
      const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
      const id = rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
      if (rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm?.startsWith('aws:kms') && id) {
        const arn = keyArn(id, r);
        if (arn) bucketKeys.set(bucket, { keyArn: arn, bucketKeyEnabled: rule.BucketKeyEnabled === true });
        else problems.missing('kms:ListAliases', resource, `its key ${id} is an alias of no key read`);
      }
    }),
  );

  const resourceKeys = new Map<string, string>();
  const resourcePolicies = new Map<string, PolicyDocument>();
  const setKey = (resource: string, id: string | undefined) => {
    if (!id) return;
    const arn = keyArn(id, region);
    if (arn) resourceKeys.set(resource, arn);
    else problems.missing('kms:ListAliases', resource, `its key ${id} is an alias of no key read`);
  };
  const queueUrls =
    (await problems.attempt('sqs:ListQueues', '*', () =>
      allPages(async (NextToken) => {
        const page = await clients.sqs.send(
          new ListQueuesCommand({ QueueNamePrefix: `Stowage-${envName}-`, MaxResults: 1000, NextToken }),
        );
        return { items: page.QueueUrls, next: page.NextToken };
      }),
    )) ?? [];
  await Promise.all(
    queueUrls.map(async (QueueUrl) => {
      const name = QueueUrl.split('/').pop() ?? QueueUrl;
      const arn = `arn:aws:sqs:${region}:${account}:${name}`;
      const answer = await problems.attempt('sqs:GetQueueAttributes', arn, () =>
        clients.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['QueueArn', 'Policy', 'KmsMasterKeyId'],
          }),
        ),
      );
      if (answer?.Attributes?.Policy) resourcePolicies.set(arn, parsePolicy(answer.Attributes.Policy));
      setKey(arn, answer?.Attributes?.KmsMasterKeyId);
    }),
  );
  const topics =
    (await problems.attempt('sns:ListTopics', '*', () =>
      allPages(async (NextToken) => {
        const page = await clients.sns.send(new ListTopicsCommand({ NextToken }));
        return { items: page.Topics, next: page.NextToken };
      }),
    )) ?? [];
  const topicArns = topics
    .map((t) => t.TopicArn ?? '')
    .filter((arn) => arn.split(':').pop()?.toLowerCase().startsWith(`stowage-${envName}-`));
  await Promise.all(
    topicArns.map(async (TopicArn) => {
      const answer = await problems.attempt('sns:GetTopicAttributes', TopicArn, () =>
        clients.sns.send(new GetTopicAttributesCommand({ TopicArn })),
      );
      if (answer?.Attributes?.Policy) resourcePolicies.set(TopicArn, parsePolicy(answer.Attributes.Policy));
      setKey(TopicArn, answer?.Attributes?.KmsMasterKeyId);
    }),
  );
  const tableNames = (
    (await problems.attempt('dynamodb:ListTables', '*', () =>
      allPages(async (ExclusiveStartTableName) => {
        const page = await clients.dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName }));
        return { items: page.TableNames, next: page.LastEvaluatedTableName };
      }),
    )) ?? []
  ).filter((name) => name.startsWith(`Stowage-${envName}-`));
  await Promise.all(
    tableNames.map(async (TableName) => {
      const arn = `arn:aws:dynamodb:${region}:${account}:table/${TableName}`;
      const answer = await problems.attempt('dynamodb:DescribeTable', arn, () =>
        clients.dynamodb.send(new DescribeTableCommand({ TableName })),
      );
      setKey(answer?.Table?.TableArn ?? arn, answer?.Table?.SSEDescription?.KMSMasterKeyArn);
    }),
  );

  const keyPolicies = new Map<string, PolicyDocument>();
  const keys = new Set([
    ...keyAliases.values(),
    ...[...bucketKeys.values()].map((k) => k.keyArn),
    ...resourceKeys.values(),
  ]);
  await Promise.all(
    [...keys].map(async (KeyId) => {
      const answer = await problems.attempt('kms:GetKeyPolicy', KeyId, () =>
        clients.kms(KeyId.split(':')[3]).send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' })),
      );
      if (answer?.Policy) keyPolicies.set(KeyId, parsePolicy(answer.Policy));
    }),
  );

  return {
    roles,
    problems: problems.all,
    resources: contractResources(config, options.buckets, queueUrls, tableNames, problems),
    model: {
      account,
      region,
      bucketPolicies,
      bucketKeys,
      keyPolicies,
      keyAliases,
      resourceKeys,
      resourcePolicies,
    },
  };
}

/** The contract's names among what was listed; a ReadProblem for each one missing. */
function contractResources(
  config: StowageConfig,
  buckets: Readonly<Partial<Record<BucketKeyPurpose, string>>>,
  queueUrls: readonly string[],
  tableNames: readonly string[],
  problems: ReadProblems,
): ContractResources | undefined {
  let complete = true;
  const find = (names: readonly string[], ref: keyof typeof CONTRACT_RESOURCE_REFS, permission: string) => {
    const found = names.filter((name) =>
      isGeneratedNameOf(name.split('/').pop() ?? name, config.envName, CONTRACT_RESOURCE_REFS[ref]),
    );
    if (found.length === 1) return found[0];
    const { part, logicalIdPrefix } = CONTRACT_RESOURCE_REFS[ref];
    problems.missing(
      permission,
      '*',
      `${found.length} resources named Stowage-${config.envName}-${part}-${logicalIdPrefix}*`,
    );
    complete = false;
    return '';
  };
  const named = (purpose: BucketKeyPurpose): string => {
    const bucket = buckets[purpose];
    if (bucket !== undefined) return bucket;
    problems.missing('s3:GetBucketTagging', '*', `no ${purpose} bucket found (see the bucket checks)`);
    complete = false;
    return '';
  };
  const resources: ContractResources = {
    buckets: {
      uploads: named('uploads'),
      processed: named('processed'),
      quarantine: named('quarantine'),
      backups: named('backups'),
    },
    statusTable: find(tableNames, 'statusTable', 'dynamodb:ListTables'),
    idempotencyTable: find(tableNames, 'idempotencyTable', 'dynamodb:ListTables'),
    intakeQueueUrl: find(queueUrls, 'intakeQueue', 'sqs:ListQueues'),
    intakeDlqUrl: find(queueUrls, 'intakeDlq', 'sqs:ListQueues'),
  };
  return complete ? resources : undefined;
}
