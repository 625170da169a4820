import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import { HANDLER_SERVICES } from '../../../core/contracts/metrics';
import type { EnvName } from '../../../lib/config';
import {
  VERIFY_SCHEDULE_MAX_EVENT_AGE,
  VERIFY_SCHEDULE_RETRY_ATTEMPTS,
} from '../../../lib/stacks/backups-stack';
import type { StowageStacks } from '../../../lib/stowage-app';
import { ALL_ENVS, buildEnv } from '../../support/app';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const WRITERS = ['arn:aws:iam::210987654321:role/ci-backups', 'arn:aws:iam::123456789012:user/alice'];

const built = new Map<string, { stacks: StowageStacks; template: Template }>();
function backupsOf(env: EnvName, withWriters = false) {
  const cacheKey = `${env}/${withWriters}`;
  let entry = built.get(cacheKey);
  if (!entry) {
    const { stacks } = buildEnv(env, {
      overrides: withWriters ? { backups: { writerPrincipalArns: WRITERS } } : {},
    });
    entry = { stacks, template: Template.fromStack(stacks.backups) };
    built.set(cacheKey, entry);
  }
  return entry;
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }): string =>
  stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;

/** A value another stack publishes, as this stack's template references it. */
const fromStack = (part: string, output: string) => ({
  'Fn::GetStackOutput': expect.objectContaining({
    StackName: expect.stringMatching(new RegExp(`^Stowage-[a-z]+-${part}$`)),
    OutputName: expect.stringContaining(output),
  }),
});
const backupsBucketArn = () => fromStack('Storage', 'BackupsBucket');
const objectsUnder = (prefix: string) => ({
  'Fn::Join': ['', [backupsBucketArn(), `/${prefix}*`]],
});
const keyArn = (purpose: 'Backups' | 'Messaging') => fromStack('Keys', `${purpose}Key`);
const getAtt = (idPrefix: string) => ({
  'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${idPrefix}[0-9A-F]{8}$`)), 'Arn'],
});

function policyStatements(env: EnvName, policy: { node: { defaultChild?: unknown } }, withWriters = false) {
  const { stacks, template } = backupsOf(env, withWriters);
  const id = logicalId(stacks.backups, policy);
  return template.toJSON().Resources[id].Properties.PolicyDocument.Statement as Statement[];
}

describe.each(ALL_ENVS)('Backups stack (%s)', (env) => {
  const template = () => backupsOf(env).template;
  const config = () => buildEnv(env).config;

  describe('schedule', () => {
    it('runs the verifier on the configured cron expression in UTC, in its own schedule group', () => {
      template().resourceCountIs('AWS::Scheduler::Schedule', 1);
      template().hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: `stowage-${env}-backups` });
      template().hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 4 * * ? *)',
        ScheduleExpressionTimezone: 'Etc/UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        GroupName: `stowage-${env}-backups`,
        Target: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VerifierFunction'), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleRole'), 'Arn'] },
          Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
          RetryPolicy: {
            MaximumRetryAttempts: VERIFY_SCHEDULE_RETRY_ATTEMPTS,
            MaximumEventAgeInSeconds: VERIFY_SCHEDULE_MAX_EVENT_AGE.toSeconds(),
          },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VerificationFailuresQueue'), 'Arn'] },
          },
        },
      });
      expect(VERIFY_SCHEDULE_RETRY_ATTEMPTS).toBe(10);
      expect(VERIFY_SCHEDULE_MAX_EVENT_AGE.toHours()).toBe(6);
    });

    it('takes its expression from config', () => {
      // Arrange
      const { stacks } = buildEnv(env, {
        overrides: { backups: { verifySchedule: 'cron(30 2 ? * MON-FRI *)' } },
      });
      // Act
      const schedule = Template.fromStack(stacks.backups);
      // Assert
      schedule.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(30 2 ? * MON-FRI *)',
        ScheduleExpressionTimezone: 'Etc/UTC',
      });
    });

    it('assumes a role only Scheduler, for this account and schedule group, can assume: invoke and dead-letter only', () => {
      const { stacks } = backupsOf(env);
      const role = template().toJSON().Resources[logicalId(stacks.backups, stacks.backups.scheduleRole)];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': '123456789012',
              'aws:SourceArn': getAtt('ScheduleGroup'),
            },
          },
        },
      ]);
      expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: expect.stringMatching(/^SchedulePolicy/) }]);
      const policyId = role.Properties.ManagedPolicyArns[0].Ref as string;
      const statements = template().toJSON().Resources[policyId].Properties.PolicyDocument
        .Statement as Statement[];
      expect(statements).toEqual([
        {
          Sid: 'InvokeVerifier',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: getAtt('VerifierFunction'),
        },
        {
          Sid: 'DeadLetterUndeliveredRuns',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: getAtt('VerificationFailuresQueue'),
        },
        {
          Sid: 'EncryptUndeliveredRuns',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: keyArn('Messaging'),
          Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } },
        },
      ]);
      // The scheduler needs no resource policy on the function: its role is allowed to invoke.
      template().resourceCountIs('AWS::Lambda::Permission', 0);
    });
  });

  describe('failures', () => {
    it('keep undelivered runs and failed invocations in a KMS-encrypted queue with its own DLQ', () => {
      const queues = template().findResources('AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(2);
      for (const queue of Object.values(queues)) {
        expect(queue.Properties.KmsMasterKeyId).toEqual(fromStack('Keys', 'MessagingKey'));
        expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      }
      template().hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: {
          deadLetterTargetArn: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^VerificationFailuresDeadLetterQueue'), 'Arn'],
          },
          maxReceiveCount: 5,
        },
      });
      template().hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: Match.stringLikeRegexp('^VerifierFunction') },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VerificationFailuresQueue'), 'Arn'] },
          },
        },
      });
    });
  });

  describe('verifier', () => {
    it('runs on arm64, the newest Node.js, active tracing and JSON logs, sized and capped from config', () => {
      const { verifier } = config().backups;
      template().resourceCountIs('AWS::Lambda::Function', 1);
      template().hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: verifier.memoryMb,
        Timeout: verifier.timeoutSeconds,
        ReservedConcurrentExecutions: verifier.reservedConcurrency,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: {
          LogFormat: 'JSON',
          ApplicationLogLevel: config().backups.logLevel,
          SystemLogLevel: 'INFO',
          LogGroup: { Ref: Match.stringLikeRegexp('^VerifierLogGroup') },
        },
      });
      expect(verifier).toEqual({ memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 });
    });

    it('gets exactly the handler contract: bucket, key, sources, replication, topic and env', () => {
      const [fn] = Object.values(template().findResources('AWS::Lambda::Function'));
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(variables).toEqual({
        [HANDLER_ENV.BACKUPS_BUCKET]: fromStack('Storage', 'RefBackupsBucket'),
        [HANDLER_ENV.BACKUPS_KEY_ARN]: keyArn('Backups'),
        [HANDLER_ENV.BACKUP_SOURCES]: expect.any(String),
        [HANDLER_ENV.BACKUP_REQUIRE_REPLICATION]: env === 'prod' ? 'true' : 'false',
        [HANDLER_ENV.OPERATIONS_TOPIC_ARN]: `arn:aws:sns:eu-west-1:123456789012:stowage-${env}-operations`,
        [HANDLER_ENV.ENV_NAME]: env,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: HANDLER_SERVICES.backupVerify,
        POWERTOOLS_LOG_LEVEL: config().backups.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: 'Stowage',
      });
      expect(JSON.parse(variables[HANDLER_ENV.BACKUP_SOURCES] as string)).toEqual(config().backups.sources);
      expect(JSON.parse(variables[HANDLER_ENV.BACKUP_SOURCES] as string)).toEqual([
        { name: 'main-db', format: 'pg-dump', maxAgeHours: 26, minBytes: 1048576, maxDropPercent: 50 },
        { name: 'server-files', format: 'tar-gz', maxAgeHours: 26, minBytes: 1048576, maxDropPercent: 50 },
      ]);
    });

    it('logs to its own log group, encrypted with the logs key, with retention and removal from config', () => {
      const groups = Object.values(template().findResources('AWS::Logs::LogGroup'));
      expect(groups).toHaveLength(1);
      expect(groups[0]).toMatchObject({
        Properties: { RetentionInDays: config().logRetentionDays, KmsKeyId: fromStack('Keys', 'LogsKey') },
        DeletionPolicy: env === 'dev' ? 'Delete' : 'Retain',
      });
    });
  });

  describe('IAM', () => {
    it('lists backups/ only, reads backups/*, reads and writes reports/*, uses the backups key and alerts ops', () => {
      const { stacks } = backupsOf(env);
      const statements = policyStatements(env, stacks.backups.verifier.policy);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: getAtt('VerifierLogGroup'),
        },
        {
          Effect: 'Allow',
          Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
          Resource: '*',
        },
        {
          Sid: 'SendFailedInvocations',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: getAtt('VerificationFailuresQueue'),
        },
        {
          Sid: 'EncryptFailedInvocations',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: keyArn('Messaging'),
          Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } },
        },
        {
          // Unconditioned: S3 answers 404 for a missing report only to principals that may list the bucket.
          Sid: 'ListBackupsBucket',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: backupsBucketArn(),
        },
        {
          Sid: 'ReadBackups',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectAttributes', 's3:GetObjectVersion'],
          Resource: objectsUnder('backups/'),
        },
        {
          Sid: 'ReadAndWriteReports',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: objectsUnder('reports/'),
        },
        { Sid: 'DecryptBackups', Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn('Backups') },
        {
          Sid: 'EncryptReports',
          Effect: 'Allow',
          Action: 'kms:GenerateDataKey',
          Resource: keyArn('Backups'),
          Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
        },
        {
          Sid: 'PublishAlerts',
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: `arn:aws:sns:eu-west-1:123456789012:stowage-${env}-operations`,
        },
        {
          Sid: 'EncryptAlerts',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: keyArn('Messaging'),
          Condition: { StringEquals: { 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } },
        },
      ]);
    });

    it('names every action (no wildcards), uses "*" only for X-Ray and has no inline policies', () => {
      for (const policy of Object.values(template().findResources('AWS::IAM::ManagedPolicy'))) {
        for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
          for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
          if (statement.Resource === '*') {
            expect([statement.Action].flat().sort()).toEqual([
              'xray:PutTelemetryRecords',
              'xray:PutTraceSegments',
            ]);
          }
        }
      }
      template().resourceCountIs('AWS::IAM::Policy', 0);
    });

    it('references no operations topic resource: the Operations stack may depend on this one', () => {
      template().resourceCountIs('AWS::SNS::Topic', 0);
      const { stacks } = backupsOf(env);
      expect(stacks.backups.dependencies.map((s) => s.stackName).sort()).toEqual([
        `Stowage-${env}-Keys`,
        `Stowage-${env}-Storage`,
      ]);
    });

    it('creates no backup writer role when no writer principals are configured', () => {
      const { stacks } = backupsOf(env);
      expect(config().backups.writerPrincipalArns).toEqual([]);
      expect(stacks.backups.writerRole).toBeUndefined();
      template().resourceCountIs('AWS::IAM::Role', 2);
      template().resourceCountIs('AWS::IAM::ManagedPolicy', 2);
      // Only the values the Operations stack references (its alarms, redrive routes and re-verification).
      const outputs = Object.keys(template().findOutputs('*'));
      expect(outputs.filter((name) => !name.startsWith('PublishOutput'))).toEqual([]);
      expect(outputs.find((name) => name.includes('BackupWriterRole'))).toBeUndefined();
    });
  });
});

describe('Backups stack with backup writers', () => {
  const template = () => backupsOf('dev', true).template;
  const stacks = () => backupsOf('dev', true).stacks;

  it('creates a role only the configured principals can assume, and outputs its ARN', () => {
    const role = stacks().backups.writerRole;
    if (!role) throw new Error('no writer role');
    const resource = template().toJSON().Resources[logicalId(stacks().backups, role)];
    expect(resource.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: [...WRITERS].sort() } },
    ]);
    expect(resource.Properties.ManagedPolicyArns).toEqual([
      { Ref: logicalId(stacks().backups, stacks().backups.writerPolicy as never) },
    ]);
    template().hasOutput('BackupWriterRoleArn', {
      Value: { 'Fn::GetAtt': [logicalId(stacks().backups, role), 'Arn'] },
    });
  });

  it('lets writers push, verify, archive and restore backups/*, delete a failed push, use test/ and the key', () => {
    const policy = stacks().backups.writerPolicy;
    if (!policy) throw new Error('no writer policy');
    expect(policyStatements('dev', policy, true)).toEqual([
      {
        Sid: 'WriteBackups',
        Effect: 'Allow',
        Action: [
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
          's3:PutObject',
          's3:PutObjectTagging',
        ],
        Resource: [objectsUnder('backups/'), objectsUnder('test/')],
      },
      {
        Sid: 'ListBackups',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Resource: backupsBucketArn(),
        Condition: { StringLike: { 's3:prefix': ['backups/*'] } },
      },
      {
        Sid: 'ListBackupUploads',
        Effect: 'Allow',
        Action: 's3:ListBucketMultipartUploads',
        Resource: backupsBucketArn(),
      },
      {
        Sid: 'ReadBackups',
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:GetObjectLegalHold',
          's3:GetObjectRetention',
          's3:GetObjectTagging',
          's3:GetObjectVersion',
          's3:GetObjectVersionTagging',
          's3:RestoreObject',
        ],
        Resource: objectsUnder('backups/'),
      },
      {
        Sid: 'DeleteFailedPushes',
        Effect: 'Allow',
        Action: 's3:DeleteObjectVersion',
        Resource: objectsUnder('backups/'),
      },
      {
        Sid: 'UseTestPrefix',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObject', 's3:GetObjectVersion'],
        Resource: objectsUnder('test/'),
      },
      {
        Sid: 'UseBackupsKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: keyArn('Backups'),
      },
    ]);
  });

  it('gets its key use from the key policy: its generated name falls under Stowage-<env>-*', () => {
    expect(stacks().backups.stackName).toBe('Stowage-dev-Backups');
    template().hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('backup writers'),
      RoleName: Match.absent(),
    });
  });

  it.each(['dev', 'prod'] as const)('passes the rule packs with writers configured (%s)', (env) => {
    // Arrange
    const { app, outdir } = buildEnv(env, {
      rulePacks: true,
      overrides: { backups: { writerPrincipalArns: WRITERS } },
    });
    // Act
    try {
      app.synth();
    } catch {
      // A failed validation throws after writing its report, read below.
    }
    // Assert
    const reportFile = join(outdir, 'validation-report.json');
    expect(existsSync(reportFile)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: Array<{ violations: Array<{ ruleName: string }> }>;
    };
    expect(report.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName))).toEqual([]);
  });
});

describe('Backups stack bundling', () => {
  let bundled: ReturnType<typeof buildEnv>;
  beforeAll(() => {
    bundled = buildEnv('dev', { bundle: true });
  });

  it('bundles the verifier with the local esbuild (no Docker)', () => {
    // Arrange
    const fn = bundled.stacks.backups.verifier.function.node.defaultChild as lambda.CfnFunction;
    // Act
    const code = Stack.of(fn).resolve(fn.code) as { s3Key: string };
    // Assert
    expect(code.s3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
  });

  it("produces a bundle that runs with the stack's environment and rejects a bad re-verification request", async () => {
    // Arrange: the staged asset, loaded as Lambda would, with the synthesized environment (cross-stack values
    // stand in for their deployed values).
    const { stacks, outdir } = bundled;
    const fn = stacks.backups.verifier.function.node.defaultChild as lambda.CfnFunction;
    const hash = (Stack.of(fn).resolve(fn.code) as { s3Key: string }).s3Key.replace(/\.zip$/, '');
    const bundle = join(outdir, `asset.${hash}`, 'index.js');
    const variables = (Stack.of(fn).resolve(fn.environment) as { variables: Record<string, unknown> })
      .variables;
    const plain = Object.fromEntries(
      Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    const saved = { ...process.env };
    Object.assign(process.env, plain, {
      AWS_REGION: 'eu-west-1',
      [HANDLER_ENV.BACKUPS_BUCKET]: 'stowage-dev-storage-backups',
      [HANDLER_ENV.BACKUPS_KEY_ARN]:
        'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000',
    });
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { handler } = require(bundle) as { handler: (event: unknown) => Promise<unknown> };
      // Act
      const run = handler({ source: 'Not A Source' });
      // Assert: the event is refused at the edge, before any AWS call.
      await expect(run).rejects.toThrow(/invalid re-verification request/);
      expect(plain[HANDLER_ENV.BACKUP_SOURCES]).toBe(JSON.stringify(bundled.config.backups.sources));
    } finally {
      process.env = saved;
    }
  });
});
