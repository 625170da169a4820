import { DescribeTableCommand, ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, ListAliasesCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetBucketEncryptionCommand, GetBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, ListTopicsCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { PolicyDocument } from '../../../../lib/security/iam-contract/deployment-model';
import type { SynthesizedDeployment } from '../../../security/iam/deployment';
import { serviceError } from '../../shared/fake-command-io';

/** The mocked clients an account is served through. */
export interface AccountMocks {
  readonly iam: AwsClientStub<IAMClient>;
  readonly s3: AwsClientStub<S3Client>;
  readonly kms: AwsClientStub<KMSClient>;
  readonly sqs: AwsClientStub<SQSClient>;
  readonly sns: AwsClientStub<SNSClient>;
  readonly dynamodb: AwsClientStub<DynamoDBClient>;
  readonly sts: AwsClientStub<STSClient>;
}

interface FakeRole {
  readonly name: string;
  readonly arn: string;
  readonly tags: Record<string, string>;
  readonly inline: Map<string, PolicyDocument>;
  readonly attached: string[];
}

/** Items `[from, from + size)` of a list and the marker of the next page (IsTruncated/Marker style). */
function page<T>(items: readonly T[], marker: string | undefined, size: number) {
  const from = marker === undefined ? 0 : Number(marker);
  const next = from + size < items.length ? String(from + size) : undefined;
  return { items: items.slice(from, from + size), next };
}

/**
 * An AWS account holding an env's deployment as CloudFormation would create it from the synthesized templates: its
 * roles with their inline and attached managed policies and tags, bucket policies and default encryption, keys
 * and aliases per region, queues, topics and tables with their policies and keys. Served through aws-sdk-client-
 * mock with small pages, so every listing is paginated. Tests change it (a statement removed, a deny added, a read
 * refused) before serving.
 */
export class FakeAccount {
  readonly roles: FakeRole[] = [];
  readonly managed = new Map<string, { name: string; document: PolicyDocument }>();
  /** Bucket policies by bucket name (a copy: tests change it). */
  readonly bucketPolicies: Map<string, PolicyDocument>;
  /** Actions answered with AccessDenied, e.g. `iam:GetRolePolicy`. */
  readonly denied = new Set<string>();

  constructor(readonly deployment: SynthesizedDeployment) {
    const { resolver } = deployment;
    this.bucketPolicies = new Map(deployment.model.bucketPolicies);
    for (const { stack, logicalId, resource } of resolver.resourcesOfType('AWS::IAM::ManagedPolicy')) {
      this.managed.set(resolver.resolve(stack, { Ref: logicalId }) as string, {
        name: resolver.physicalName(stack, logicalId),
        document: resolver.resolve(stack, resource.Properties?.PolicyDocument) as PolicyDocument,
      });
    }
    for (const role of deployment.roles) {
      const stack = deployment.stacks.find((s) => s.stackName === role.stackName)!;
      const props = resolver.resource(stack, role.logicalId).Properties ?? {};
      const name = role.arn.split('/').pop()!;
      const inline = new Map<string, PolicyDocument>();
      for (const p of (props.Policies as { PolicyName: string; PolicyDocument: unknown }[]) ?? []) {
        inline.set(p.PolicyName, resolver.resolve(stack, p.PolicyDocument) as PolicyDocument);
      }
      const attached = resolver.resolve(stack, props.ManagedPolicyArns ?? []) as string[];
      for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
        for (const policy of resolver.resourcesOfType(type).filter((p) => p.stack === stack)) {
          const policyProps = policy.resource.Properties ?? {};
          if (!(resolver.resolve(stack, policyProps.Roles ?? []) as string[]).includes(name)) continue;
          if (type === 'AWS::IAM::Policy') {
            inline.set(
              resolver.resolve(stack, policyProps.PolicyName) as string,
              resolver.resolve(stack, policyProps.PolicyDocument) as PolicyDocument,
            );
          } else {
            attached.push(resolver.resolve(stack, { Ref: policy.logicalId }) as string);
          }
        }
      }
      for (const arn of attached.filter((a) => a.startsWith('arn:aws:iam::aws:policy/'))) {
        const policy = role.policies.find((p) => p.name === arn.split('/').pop());
        if (policy) this.managed.set(arn, policy);
      }
      this.roles.push({ name, arn: role.arn, tags: { ...role.tags }, inline, attached });
    }
    // Roles of other apps and envs, which doctor must pass over.
    const account = deployment.model.account;
    for (const name of [
      'reporting-app',
      `Stowage-${deployment.config.envName}x-Intake-ScanHandlerRole0000`,
    ]) {
      this.roles.push({
        name,
        arn: `arn:aws:iam::${account}:role/${name}`,
        tags: {},
        inline: new Map(),
        attached: [],
      });
    }
  }

  /** The role whose name starts with `Stowage-<env>-<part>-<logicalIdPrefix>`. */
  role(part: string, logicalIdPrefix: string): FakeRole {
    const prefix = `Stowage-${this.deployment.config.envName}-${part}-${logicalIdPrefix}`;
    return this.roles.find((r) => r.name.startsWith(prefix))!;
  }

  /** Removes `action` from every statement of `role`'s policies (a statement left with none goes); returns how often. */
  removeAction(role: FakeRole, action: string): number {
    let removed = 0;
    const without = (document: PolicyDocument): PolicyDocument => {
      const statements = [document.Statement].flat().flatMap((statement) => {
        const actions = [statement.Action ?? []].flat() as string[];
        if (!actions.includes(action)) return [statement];
        removed += 1;
        const kept = actions.filter((a) => a !== action);
        return kept.length > 0 ? [{ ...statement, Action: kept }] : [];
      });
      return { ...document, Statement: statements };
    };
    for (const [name, document] of role.inline) role.inline.set(name, without(document));
    for (const arn of role.attached) {
      const policy = this.managed.get(arn)!;
      this.managed.set(arn, { ...policy, document: without(policy.document) });
    }
    return removed;
  }

  /** Turns `role`'s managed policies into inline ones (as a policy pasted in the console would be). */
  inlineManagedPolicies(role: FakeRole): void {
    for (const arn of role.attached.splice(0)) {
      const policy = this.managed.get(arn)!;
      role.inline.set(policy.name, policy.document);
    }
  }

  /** Serves the account through `mocks` (every listing paginated). */
  serve(mocks: AccountMocks): void {
    const { model, config, resolver } = this.deployment;
    const guard = (action: string) => {
      if (this.denied.has(action)) {
        throw serviceError('AccessDenied', 403, `not authorized to perform: ${action}`);
      }
    };
    const roleNamed = (name: string) => {
      const role = this.roles.find((r) => r.name === name);
      if (!role) throw serviceError('NoSuchEntity', 404);
      return role;
    };
    const encoded = (document: PolicyDocument) => encodeURIComponent(JSON.stringify(document));

    mocks.sts.on(GetCallerIdentityCommand).resolves({
      Account: model.account,
      Arn: `arn:aws:iam::${model.account}:user/ops`,
    });
    mocks.iam.on(ListRolesCommand).callsFake((input: { Marker?: string }) => {
      guard('iam:ListRoles');
      const { items, next } = page(this.roles, input.Marker, 4);
      return {
        Roles: items.map((r) => ({ RoleName: r.name, Arn: r.arn })),
        IsTruncated: next !== undefined,
        Marker: next,
      };
    });
    mocks.iam.on(ListRolePoliciesCommand).callsFake((input: { RoleName: string; Marker?: string }) => {
      guard('iam:ListRolePolicies');
      const { items, next } = page([...roleNamed(input.RoleName).inline.keys()], input.Marker, 1);
      return { PolicyNames: items, IsTruncated: next !== undefined, Marker: next };
    });
    mocks.iam.on(GetRolePolicyCommand).callsFake((input: { RoleName: string; PolicyName: string }) => {
      guard('iam:GetRolePolicy');
      const document = roleNamed(input.RoleName).inline.get(input.PolicyName)!;
      return { ...input, PolicyDocument: encoded(document) };
    });
    mocks.iam
      .on(ListAttachedRolePoliciesCommand)
      .callsFake((input: { RoleName: string; Marker?: string }) => {
        guard('iam:ListAttachedRolePolicies');
        const { items, next } = page(roleNamed(input.RoleName).attached, input.Marker, 1);
        return {
          AttachedPolicies: items.map((arn) => ({ PolicyArn: arn, PolicyName: this.managed.get(arn)?.name })),
          IsTruncated: next !== undefined,
          Marker: next,
        };
      });
    mocks.iam.on(GetPolicyCommand).callsFake((input: { PolicyArn: string }) => {
      guard('iam:GetPolicy');
      const policy = this.managed.get(input.PolicyArn);
      if (!policy) throw serviceError('NoSuchEntity', 404);
      return { Policy: { Arn: input.PolicyArn, PolicyName: policy.name, DefaultVersionId: 'v3' } };
    });
    mocks.iam.on(GetPolicyVersionCommand).callsFake((input: { PolicyArn: string; VersionId: string }) => {
      guard('iam:GetPolicyVersion');
      if (input.VersionId !== 'v3') throw serviceError('NoSuchEntity', 404);
      return {
        PolicyVersion: { VersionId: 'v3', Document: encoded(this.managed.get(input.PolicyArn)!.document) },
      };
    });
    mocks.iam.on(ListRoleTagsCommand).callsFake((input: { RoleName: string; Marker?: string }) => {
      guard('iam:ListRoleTags');
      const tags = Object.entries(roleNamed(input.RoleName).tags).map(([Key, Value]) => ({ Key, Value }));
      const { items, next } = page(tags, input.Marker, 2);
      return { Tags: items, IsTruncated: next !== undefined, Marker: next };
    });

    mocks.s3.on(GetBucketPolicyCommand).callsFake((input: { Bucket: string }) => {
      guard('s3:GetBucketPolicy');
      const policy = this.bucketPolicies.get(input.Bucket);
      if (!policy) throw serviceError('NoSuchBucketPolicy', 404);
      return { Policy: JSON.stringify(policy) };
    });
    mocks.s3.on(GetBucketEncryptionCommand).callsFake((input: { Bucket: string }) => {
      guard('s3:GetEncryptionConfiguration');
      const key = model.bucketKeys.get(input.Bucket);
      const rule = key
        ? {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key.keyArn },
            BucketKeyEnabled: key.bucketKeyEnabled,
          }
        : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } };
      return { ServerSideEncryptionConfiguration: { Rules: [rule] } };
    });

    mocks.kms.on(ListAliasesCommand).callsFake(async (input: { Marker?: string }, client) => {
      guard('kms:ListAliases');
      const region = await client().config.region();
      const aliases = [...model.keyAliases]
        .filter(([alias]) => alias.split(':')[3] === region)
        .map(([alias, key]) => ({
          AliasName: alias.slice(alias.indexOf('alias/')),
          TargetKeyId: key.split('/').pop(),
        }));
      const all = [{ AliasName: 'alias/aws/s3' }, ...aliases];
      const { items, next } = page(all, input.Marker, 3);
      return { Aliases: items, Truncated: next !== undefined, NextMarker: next };
    });
    mocks.kms.on(GetKeyPolicyCommand).callsFake((input: { KeyId: string }) => {
      guard('kms:GetKeyPolicy');
      const policy = model.keyPolicies.get(input.KeyId);
      if (!policy) throw serviceError('NotFoundException', 400);
      return { Policy: JSON.stringify(policy), PolicyName: 'default' };
    });

    const named = (type: string) =>
      resolver.resourcesOfType(type).map((r) => ({
        name: resolver.physicalName(r.stack, r.logicalId),
        arn: resolver.resolve(r.stack, { 'Fn::GetAtt': [r.logicalId, 'Arn'] }) as string,
      }));
    const queues = named('AWS::SQS::Queue');
    const queueUrl = (name: string) => `https://sqs.${config.region}.amazonaws.com/${model.account}/${name}`;
    mocks.sqs.on(ListQueuesCommand).callsFake((input: { QueueNamePrefix?: string; NextToken?: string }) => {
      guard('sqs:ListQueues');
      const urls = queues
        .filter((q) => q.name.startsWith(input.QueueNamePrefix ?? ''))
        .map((q) => queueUrl(q.name));
      const { items, next } = page(urls, input.NextToken, 4);
      return { QueueUrls: items, NextToken: next };
    });
    mocks.sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => {
      guard('sqs:GetQueueAttributes');
      const queue = queues.find((q) => queueUrl(q.name) === input.QueueUrl)!;
      const policy = model.resourcePolicies.get(queue.arn);
      const key = model.resourceKeys.get(queue.arn);
      return {
        Attributes: {
          QueueArn: queue.arn,
          ...(policy ? { Policy: JSON.stringify(policy) } : {}),
          ...(key ? { KmsMasterKeyId: key } : {}),
        },
      };
    });
    const topics = named('AWS::SNS::Topic');
    mocks.sns.on(ListTopicsCommand).callsFake((input: { NextToken?: string }) => {
      guard('sns:ListTopics');
      const all = [
        { TopicArn: `arn:aws:sns:${config.region}:${model.account}:other-team` },
        ...topics.map((t) => ({ TopicArn: t.arn })),
      ];
      const { items, next } = page(all, input.NextToken, 1);
      return { Topics: items, NextToken: next };
    });
    mocks.sns.on(GetTopicAttributesCommand).callsFake((input: { TopicArn: string }) => {
      guard('sns:GetTopicAttributes');
      const policy = model.resourcePolicies.get(input.TopicArn);
      const key = model.resourceKeys.get(input.TopicArn);
      return {
        Attributes: {
          TopicArn: input.TopicArn,
          ...(policy ? { Policy: JSON.stringify(policy) } : {}),
          ...(key ? { KmsMasterKeyId: key } : {}),
        },
      };
    });
    const tables = named('AWS::DynamoDB::Table');
    mocks.dynamodb.on(ListTablesCommand).callsFake((input: { ExclusiveStartTableName?: string }) => {
      guard('dynamodb:ListTables');
      const names = ['aaa-other-table', ...tables.map((t) => t.name)];
      const from = input.ExclusiveStartTableName ? names.indexOf(input.ExclusiveStartTableName) + 1 : 0;
      const items = names.slice(from, from + 1);
      return { TableNames: items, LastEvaluatedTableName: from + 1 < names.length ? items[0] : undefined };
    });
    mocks.dynamodb.on(DescribeTableCommand).callsFake((input: { TableName: string }) => {
      guard('dynamodb:DescribeTable');
      const table = tables.find((t) => t.name === input.TableName)!;
      const key = model.resourceKeys.get(table.arn);
      return {
        Table: {
          TableName: table.name,
          TableArn: table.arn,
          ...(key ? { SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: key } } : {}),
        },
      };
    });
  }
}
