import { join } from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import { HANDLER_SERVICES } from '../../../core/contracts/metrics';
import type { EnvName } from '../../../lib/config';
import { STOWAGE_RUNTIME } from '../../../lib/constructs/stowage-function';
import type { IntakeStack } from '../../../lib/stacks/intake-stack';
import type { StowageStacks } from '../../../lib/stowage-app';
import { ALL_ENVS, buildEnv } from '../../support/app';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const built = new Map<EnvName, { stacks: StowageStacks; template: Template }>();
function intakeOf(env: EnvName) {
  let entry = built.get(env);
  if (!entry) {
    const { stacks } = buildEnv(env);
    entry = { stacks, template: Template.fromStack(stacks.intake) };
    built.set(env, entry);
  }
  return entry;
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }): string =>
  stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;

/** The statements of one handler's customer-managed policy. */
function statementsOf(
  env: EnvName,
  handler: keyof Pick<IntakeStack, 'apiHandler' | 'scanHandler' | 'quarantineHandler' | 'processHandler'>,
) {
  const { stacks, template } = intakeOf(env);
  const id = logicalId(stacks.intake, stacks.intake[handler].policy);
  return template.toJSON().Resources[id].Properties.PolicyDocument.Statement as Statement[];
}

/** How a Storage bucket's object ARN under `prefix` appears in the Intake template (weak cross-stack reference). */
function objectsUnder(env: EnvName, bucket: s3.IBucket, prefix: string) {
  const { stacks } = intakeOf(env);
  const bucketId = logicalId(stacks.storage, bucket as s3.Bucket);
  return {
    'Fn::Join': [
      '',
      [
        {
          'Fn::GetStackOutput': expect.objectContaining({
            StackName: `Stowage-${env}-Storage`,
            OutputName: expect.stringContaining(`${bucketId}Arn`),
          }),
        },
        `/${prefix}*`,
      ],
    ],
  };
}

/** A queue ARN as the rule targets render it (formatArn over the queue's name). */
const queueArn = (queueId: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:aws:sqs:eu-west-1:123456789012:',
      { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${queueId}[0-9A-F]{8}$`), 'QueueName'] },
    ],
  ],
});

describe.each(ALL_ENVS)('Intake stack (%s)', (env) => {
  const template = () => intakeOf(env).template;
  const config = () => buildEnv(env).config;

  describe('handlers', () => {
    it('run on arm64, the newest Node.js, active tracing, JSON logs, with reserved concurrency from config', () => {
      const { intake } = config();
      const functions = template().findResources('AWS::Lambda::Function');
      expect(Object.keys(functions)).toHaveLength(4);
      expect(STOWAGE_RUNTIME.name).toBe('nodejs24.x');
      template().allResourcesProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: intake.logLevel }),
      });
      for (const [name, settings] of Object.entries(intake.handlers)) {
        template().hasResourceProperties('AWS::Lambda::Function', {
          Description: Match.anyValue(),
          MemorySize: settings.memoryMb,
          Timeout: settings.timeoutSeconds,
          ReservedConcurrentExecutions: settings.reservedConcurrency,
          Environment: {
            Variables: Match.objectLike({
              POWERTOOLS_SERVICE_NAME:
                HANDLER_SERVICES[name === 'api' ? 'intakeApi' : (name as 'scan' | 'quarantine' | 'process')],
            }),
          },
        });
      }
    });

    it('set only contract env vars, source maps and Powertools settings', () => {
      const allowed = new Set<string>([
        ...Object.values(HANDLER_ENV),
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
      ]);
      for (const fn of Object.values(template().findResources('AWS::Lambda::Function'))) {
        const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
        expect(Object.keys(variables).filter((k) => !allowed.has(k))).toEqual([]);
        expect(variables).toMatchObject({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_LOG_LEVEL: config().intake.logLevel,
          [HANDLER_ENV.ENV_NAME]: env,
        });
      }
      template().hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [HANDLER_ENV.GUARDDUTY_INCONCLUSIVE_VERDICT]: config().intake.guardDuty.inconclusiveVerdict,
            [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: String(config().intake.dlqMaxReceiveCount),
            [HANDLER_ENV.RESULTS_BUS]: { Ref: Match.stringLikeRegexp('^ResultsBus') },
          }),
        },
      });
      template().hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: String(config().uploads.presignExpirySeconds),
            [HANDLER_ENV.STATUS_RETENTION_DAYS]: String(config().intake.statusRetentionDays),
          }),
        },
      });
    });

    it('tell the scan, quarantine and process handlers their queue maxReceiveCount (dead-letter reasons)', () => {
      const withCount = Object.values(template().findResources('AWS::Lambda::Function')).filter(
        (fn) =>
          (fn.Properties.Environment.Variables as Record<string, unknown>)[
            HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT
          ] === String(config().intake.dlqMaxReceiveCount),
      );
      expect(withCount).toHaveLength(3);
    });

    it('log to their own encrypted log groups with the configured retention and removal policy', () => {
      const expected = env === 'dev' ? 'Delete' : 'Retain';
      const groups = template().findResources('AWS::Logs::LogGroup');
      expect(Object.keys(groups)).toHaveLength(5);
      for (const group of Object.values(groups)) {
        expect(group.Properties.RetentionInDays).toBe(config().logRetentionDays);
        expect(group.Properties.KmsKeyId).toEqual({
          'Fn::GetStackOutput': expect.objectContaining({
            StackName: `Stowage-${env}-Keys`,
            OutputName: expect.stringContaining('LogsKey'),
          }),
        });
        expect(group.DeletionPolicy).toBe(expected);
      }
      template().allResourcesProperties('AWS::Lambda::Function', {
        LoggingConfig: Match.objectLike({ LogGroup: { Ref: Match.stringLikeRegexp('LogGroup') } }),
      });
    });
  });

  describe('queues', () => {
    it('are all KMS-encrypted, TLS-only, and redrive to their DLQ after the configured receives', () => {
      const queues = template().findResources('AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(6);
      for (const queue of Object.values(queues)) {
        expect(queue.Properties.KmsMasterKeyId).toEqual({
          'Fn::GetStackOutput': expect.objectContaining({
            StackName: `Stowage-${env}-Keys`,
            OutputName: expect.stringContaining('MessagingKey'),
          }),
        });
      }
      const work = Object.values(queues).filter((q) => q.Properties.RedrivePolicy);
      expect(work).toHaveLength(3);
      for (const queue of work) {
        expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
      }
      template().resourcePropertiesCountIs(
        'AWS::SQS::QueuePolicy',
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        },
        6,
      );
    });

    it('give each consumer a visibility timeout of 6x its timeout', () => {
      const { handlers } = config().intake;
      for (const [queueId, settings] of [
        ['IntakeQueue', handlers.scan],
        ['QuarantineQueue', handlers.quarantine],
        ['ProcessQueue', handlers.process],
      ] as const) {
        const { stacks } = intakeOf(env);
        const queue = (
          stacks.intake as unknown as Record<string, { queue: { node: { defaultChild: unknown } } }>
        )[`${queueId[0].toLowerCase()}${queueId.slice(1)}`].queue;
        const resource = template().toJSON().Resources[logicalId(stacks.intake, queue)];
        expect(resource.Properties.VisibilityTimeout).toBe(6 * settings.timeoutSeconds);
      }
    });

    it('feed their handlers with batch sizes from config and partial batch responses', () => {
      const { handlers } = config().intake;
      for (const settings of [handlers.scan, handlers.quarantine, handlers.process]) {
        template().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          BatchSize: settings.batchSize,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: settings.reservedConcurrency },
        });
      }
      template().resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    });

    it('let EventBridge send only for the named rules', () => {
      template().allResourcesProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: {
                ArnEquals: {
                  'aws:SourceArn': Match.arrayWith([{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }]),
                },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('events', () => {
    it(
      env === 'dev'
        ? 'route Object Created under uploads/ of the uploads bucket to the intake queue, with a DLQ'
        : "route GuardDuty's results for uploads/ (not Object Created) to the intake queue, with a DLQ",
      () => {
        const pattern =
          env === 'dev'
            ? {
                source: ['aws.s3'],
                'detail-type': ['Object Created'],
                detail: {
                  bucket: { name: [{ 'Fn::GetStackOutput': Match.anyValue() }] },
                  object: { key: [{ prefix: 'uploads/' }] },
                },
              }
            : {
                source: ['aws.guardduty'],
                'detail-type': ['GuardDuty Malware Protection Object Scan Result'],
                detail: {
                  s3ObjectDetails: {
                    bucketName: [{ 'Fn::GetStackOutput': Match.anyValue() }],
                    objectKey: [{ prefix: 'uploads/' }],
                  },
                },
              };
        template().hasResourceProperties('AWS::Events::Rule', {
          EventPattern: pattern,
          Targets: [
            Match.objectLike({
              Arn: queueArn('IntakeQueue'),
              DeadLetterConfig: { Arn: Match.anyValue() },
              RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
            }),
          ],
        });
        template().allResourcesProperties('AWS::Events::Rule', {
          Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
        });
      },
    );

    it('routes verdicts from the results bus: INFECTED/SUSPICIOUS to quarantine, CLEAN to process', () => {
      for (const [statuses, queue] of [
        [['INFECTED', 'SUSPICIOUS'], 'QuarantineQueue'],
        [['CLEAN'], 'ProcessQueue'],
      ] as const) {
        template().hasResourceProperties('AWS::Events::Rule', {
          EventBusName: { Ref: Match.stringLikeRegexp('^ResultsBus') },
          EventPattern: {
            source: ['stowage.intake'],
            'detail-type': ['Stowage Scan Result'],
            detail: { verdict: { status: statuses } },
          },
          Targets: [Match.objectLike({ Arn: queueArn(queue) })],
        });
      }
    });

    it('publishes on an encrypted stowage-<env>-results bus with an archive', () => {
      template().hasResourceProperties('AWS::Events::EventBus', {
        Name: `stowage-${env}-results`,
        KmsKeyIdentifier: { 'Fn::GetStackOutput': Match.anyValue() },
      });
      template().hasResourceProperties('AWS::Events::Archive', {
        ArchiveName: `stowage-${env}-results`,
        RetentionDays: config().intake.resultsArchiveRetentionDays,
        EventPattern: { source: ['stowage.intake'] },
      });
    });
  });

  describe('status table', () => {
    it('is on-demand, PITR, encrypted with the status key, with the TTL attribute and retained per config', () => {
      template().hasResource('AWS::DynamoDB::Table', {
        Properties: {
          KeySchema: [{ AttributeName: 'uploadId', KeyType: 'HASH' }],
          AttributeDefinitions: Match.arrayWith([{ AttributeName: 'uploadId', AttributeType: 'S' }]),
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          DeletionProtectionEnabled: env !== 'dev',
        },
        DeletionPolicy: env === 'dev' ? 'Delete' : 'Retain',
      });
    });
  });

  describe('status table owner index', () => {
    it('lists one owner’s records by time (owner, createdAt; all attributes), the table keeping its logical id', () => {
      const tables = template().findResources('AWS::DynamoDB::Table');
      expect(Object.keys(tables).filter((id) => /^StatusTable/.test(id))).toHaveLength(1);
      template().hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'uploadId', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'uploadId', AttributeType: 'S' },
          { AttributeName: 'owner', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'owner-createdAt',
            KeySchema: [
              { AttributeName: 'owner', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });
  });

  describe('HTTP API', () => {
    it('routes exactly POST and GET /uploads, GET /uploads/{uploadId}(/download), all behind the JWT authorizer', () => {
      const routes = Object.values(template().findResources('AWS::ApiGatewayV2::Route'));
      expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([
        'GET /uploads',
        'GET /uploads/{uploadId}',
        'GET /uploads/{uploadId}/download',
        'POST /uploads',
      ]);
      for (const route of routes) {
        expect(route.Properties.AuthorizationType).toBe('JWT');
        expect(route.Properties.AuthorizerId).toEqual({
          Ref: expect.stringMatching(/^HttpApiJwtAuthorizer/),
        });
      }
      template().hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Issuer: config().intake.jwt.issuerUrl,
          Audience: config().intake.jwt.audiences,
        },
      });
    });

    it('throttles and writes JSON access logs', () => {
      template().hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        DefaultRouteSettings: {
          ThrottlingRateLimit: config().intake.api.throttlingRateLimit,
          ThrottlingBurstLimit: config().intake.api.throttlingBurstLimit,
        },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessLogs'), 'Arn'] },
          Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
        },
      });
    });

    it('lets only this API, in this account, invoke the handler', () => {
      template().allResourcesProperties('AWS::Lambda::Permission', {
        Principal: 'apigateway.amazonaws.com',
        SourceAccount: '123456789012',
        SourceArn: Match.anyValue(),
      });
    });
  });

  describe('IAM', () => {
    it('names every action (no wildcards) and uses "*" only for X-Ray', () => {
      const policies = template().findResources('AWS::IAM::ManagedPolicy');
      for (const policy of Object.values(policies)) {
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

    it('scopes the scan role to reading and tagging uploads/*, publishing verdicts and the status table', () => {
      const statements = statementsOf(env, 'scanHandler');
      const { stacks } = intakeOf(env);
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Sid: 'ReadAndTagUploads',
            Action: [
              's3:GetObject',
              's3:GetObjectTagging',
              's3:GetObjectVersion',
              's3:GetObjectVersionTagging',
              's3:PutObjectTagging',
              's3:PutObjectVersionTagging',
            ],
          }),
          expect.objectContaining({ Sid: 'PublishVerdicts', Action: 'events:PutEvents' }),
          expect.objectContaining({
            Sid: 'StatusRecords',
            Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          }),
          expect.objectContaining({
            Sid: 'DecryptUploads',
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
          }),
        ]),
      );
      const read = statements.find((s) => s.Sid === 'ReadAndTagUploads') as Statement;
      expect(read.Resource).toEqual(objectsUnder(env, stacks.storage.uploads, 'uploads/'));
      // An event without a version id (Ceph RGW) names every version of its key: ListObjectVersions of uploads/ only.
      const list = statements.find((s) => s.Sid === 'ListUploadVersions') as Statement;
      expect(list).toMatchObject({
        Action: 's3:ListBucketVersions',
        Condition: { StringLike: { 's3:prefix': 'uploads/*' } },
      });
      expect(JSON.stringify(list.Resource)).not.toContain('/*');
      expect(JSON.stringify(statements)).not.toMatch(/s3:(PutObject|DeleteObject)"/);
    });

    it.each([
      ['quarantineHandler', 'quarantine'],
      ['processHandler', 'processed'],
    ] as const)('lets the %s move uploads/* into %s/* only', (handler, bucket) => {
      const statements = statementsOf(env, handler);
      const { stacks } = intakeOf(env);
      const destination = bucket === 'quarantine' ? stacks.storage.quarantine : stacks.storage.processed;
      expect(statements.find((s) => s.Sid === 'ReadAndRemoveSourceVersions')).toMatchObject({
        Action: [
          's3:DeleteObjectVersion',
          's3:GetObject',
          's3:GetObjectTagging',
          's3:GetObjectVersion',
          's3:GetObjectVersionTagging',
        ],
        Resource: objectsUnder(env, stacks.storage.uploads, 'uploads/'),
      });
      const write = statements.find((s) => s.Sid === 'WriteAndVerifyCopies') as Statement;
      // Process reads its own copies back (a create-only 412 is verified); quarantine never reads its bucket.
      expect(write.Action).toEqual([
        ...(bucket === 'processed' ? ['s3:GetObject'] : []),
        's3:GetObjectAttributes',
        's3:GetObjectVersionAttributes',
        's3:PutObject',
        's3:PutObjectTagging',
      ]);
      expect(write.Resource).toEqual(objectsUnder(env, destination, `${bucket}/`));
      expect(statements.find((s) => s.Sid === 'EncryptCopies')).toMatchObject({
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      });
    });

    it('lets the API role create and read status records, presign uploads/* and read processed/* only', () => {
      const statements = statementsOf(env, 'apiHandler');
      const { stacks } = intakeOf(env);
      expect(statements.find((s) => s.Sid === 'StatusRecords')).toMatchObject({
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      });
      expect(statements.find((s) => s.Sid === 'PresignUploads')).toMatchObject({
        Action: 's3:PutObject',
        Resource: objectsUnder(env, stacks.storage.uploads, 'uploads/'),
      });
      expect(statements.find((s) => s.Sid === 'EncryptUploads')).toMatchObject({
        Action: 'kms:GenerateDataKey',
      });
      // The one read: processed/ objects, for the download URLs it signs; never uploads, quarantine or backups.
      const reads = statements.filter((s) => JSON.stringify(s.Action).includes('s3:Get'));
      expect(reads).toEqual([
        expect.objectContaining({
          Sid: 'SignDownloads',
          Action: 's3:GetObject',
          Resource: objectsUnder(env, stacks.storage.processed, 'processed/'),
        }),
      ]);
      expect(statements.find((s) => s.Sid === 'ListOwnRecords')).toMatchObject({
        Action: 'dynamodb:Query',
        Resource: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [expect.stringMatching(/^StatusTable/), 'Arn'] }, '/index/owner-createdAt'],
          ],
        },
      });
      expect(statements.find((s) => s.Sid === 'DecryptDownloads')).toMatchObject({
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': expect.stringMatching(/^s3\./) } },
      });
    });

    it('gives the API handler the processed bucket and the download URL lifetime', () => {
      template().hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: String(config().uploads.presignExpirySeconds),
            [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: String(config().uploads.downloadExpirySeconds),
            [HANDLER_ENV.PROCESSED_BUCKET]: Match.anyValue(),
          }),
        },
      });
    });

    it('tags the pipeline roles (and only them) with stowage:access=<env>:pipeline', () => {
      const { stacks } = intakeOf(env);
      const roles = template().toJSON().Resources;
      const tagsOf = (fn: { role: { node: { defaultChild?: unknown } } }) =>
        roles[logicalId(stacks.intake, fn.role)].Properties.Tags as Array<{ Key: string; Value: string }>;
      for (const handler of ['scanHandler', 'quarantineHandler', 'processHandler'] as const) {
        expect(tagsOf(stacks.intake[handler])).toContainEqual({
          Key: 'stowage:access',
          Value: `${env}:pipeline`,
        });
      }
      expect(tagsOf(stacks.intake.apiHandler).map((t) => t.Key)).not.toContain('stowage:access');
    });
  });

  describe('GuardDuty Malware Protection', () => {
    const on = env !== 'dev';

    it(on ? 'protects uploads/ with tagging disabled' : 'is off', () => {
      template().resourceCountIs('AWS::GuardDuty::MalwareProtectionPlan', on ? 1 : 0);
      template().resourcePropertiesCountIs(
        'AWS::Events::Rule',
        { EventPattern: Match.objectLike({ source: ['aws.guardduty'] }) },
        on ? 1 : 0,
      );
      // Exactly one trigger starts a scan: GuardDuty's result when it is on (its verdict joins the scan as an
      // engine), Object Created otherwise. Both would scan twice and lose GuardDuty's finding.
      template().resourcePropertiesCountIs(
        'AWS::Events::Rule',
        { EventPattern: Match.objectLike({ source: ['aws.s3'] }) },
        on ? 0 : 1,
      );
      if (!on) return;
      template().hasResourceProperties('AWS::GuardDuty::MalwareProtectionPlan', {
        ProtectedResource: { S3Bucket: { BucketName: Match.anyValue(), ObjectPrefixes: ['uploads/'] } },
        Actions: { Tagging: { Status: 'DISABLED' } },
        Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('UploadsMalwareProtectionRole'), 'Arn'] },
      });
      template().hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.guardduty'],
          'detail-type': ['GuardDuty Malware Protection Object Scan Result'],
          detail: {
            s3ObjectDetails: {
              bucketName: [{ 'Fn::GetStackOutput': Match.anyValue() }],
              objectKey: [{ prefix: 'uploads/' }],
            },
          },
        },
      });
    });

    if (!on) return;

    it('gives GuardDuty the documented role, read-only on uploads/ and without tagging', () => {
      const { stacks } = intakeOf(env);
      const plan = stacks.intake.malwareProtection;
      if (!plan) throw new Error('no plan');
      const resources = template().toJSON().Resources;
      const role = resources[logicalId(stacks.intake, plan.role)].Properties;
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'malware-protection-plan.guardduty.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }),
      ]);
      expect(role.Tags).toContainEqual({ Key: 'stowage:access', Value: `${env}:pipeline` });
      const statements = resources[logicalId(stacks.intake, plan.policy)].Properties.PolicyDocument
        .Statement as Statement[];
      expect(statements.map((s) => s.Sid)).toEqual([
        'AllowManagedRuleToSendS3EventsToGuardDuty',
        'AllowGuardDutyToMonitorEventBridgeManagedRule',
        'AllowEnableS3EventBridgeEvents',
        'AllowPutValidationObject',
        'AllowCheckBucketOwnership',
        'AllowMalwareScan',
        'AllowDecryptForMalwareScan',
      ]);
      expect(statements.find((s) => s.Sid === 'AllowMalwareScan')?.Resource).toEqual(
        objectsUnder(env, stacks.storage.uploads, 'uploads/'),
      );
      expect(JSON.stringify(statements)).not.toMatch(/Tagging/);
    });
  });
});

describe('Intake stack bundling', () => {
  let bundled: ReturnType<typeof buildEnv>;
  beforeAll(() => {
    bundled = buildEnv('dev', { bundle: true });
  });

  it('bundles every handler with the local esbuild (no Docker)', () => {
    // Arrange
    const { stacks } = bundled;
    // Act
    const functions = [
      stacks.intake.apiHandler,
      stacks.intake.scanHandler,
      stacks.intake.quarantineHandler,
      stacks.intake.processHandler,
    ].map((f) => f.function.node.defaultChild as lambda.CfnFunction);
    // Assert
    for (const fn of functions) {
      const code = Stack.of(fn).resolve(fn.code) as { s3Key: string };
      expect(code.s3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    }
  });

  it('produces a bundle that runs: the bundled intake API answers a bad request with 400', async () => {
    // Arrange: the staged asset of the API handler, loaded as Lambda would, with its environment.
    const { stacks, outdir } = bundled;
    const fn = stacks.intake.apiHandler.function.node.defaultChild as lambda.CfnFunction;
    const hash = (Stack.of(fn).resolve(fn.code) as { s3Key: string }).s3Key.replace(/\.zip$/, '');
    const bundle = join(outdir, `asset.${hash}`, 'index.js');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      [HANDLER_ENV.UPLOADS_BUCKET]: 'stowage-dev-uploads',
      [HANDLER_ENV.UPLOADS_KEY_ARN]:
        'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000',
      [HANDLER_ENV.STATUS_TABLE]: 'stowage-dev-status',
      [HANDLER_ENV.MAX_UPLOAD_BYTES]: '1024',
      [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: 'application/pdf',
      [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: '600',
      [HANDLER_ENV.PROCESSED_BUCKET]: 'stowage-dev-processed',
      [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: '300',
    });
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { handler } = require(bundle) as {
        handler: (event: unknown, context: unknown) => Promise<unknown>;
      };
      // Act
      const response = await handler(
        {
          version: '2.0',
          routeKey: 'POST /uploads',
          rawPath: '/uploads',
          headers: { 'content-type': 'application/json' },
          requestContext: {
            requestId: 'r1',
            http: { method: 'POST', path: '/uploads' },
            authorizer: { jwt: { claims: { sub: 'user-1' }, scopes: [] } },
          },
          body: JSON.stringify({ fileName: 'a.pdf', contentType: 'application/pdf', size: 0 }),
          isBase64Encoded: false,
        },
        { awsRequestId: 'r1', functionName: 'api' },
      );
      // Assert
      expect(response).toMatchObject({ statusCode: 400 });
      expect(JSON.parse((response as { body: string }).body)).toMatchObject({
        error: 'invalid_request',
        field: 'size',
      });
    } finally {
      process.env = saved;
    }
  });
});
