import type { SdkCall } from '../../../lib/security/iam-contract/sdk-call';
import { presignedPostCall } from '../../../lib/security/iam-contract/presigned-post';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import { httpApiEvent } from '../../lambda/intake-api/api-gateway-events';
import { commandNames, decisionsFor, denials, uncoveredBy } from './contract-assertions';
import { contractRoleOf, functionEnvironment, roleOf, synthesizedDeployment } from './deployment';
import { FakeStatusTable } from './fake-status-table';
import type { ClientMocks } from './recorder';
import { coldStart, recordedCalls, restoreEnv } from './recorder';

type AnyHandler = (event: unknown, context?: unknown) => Promise<unknown>;

afterEach(() => {
  jest.restoreAllMocks();
  restoreEnv();
});

/**
 * The intake API presigns an upload, the browser POSTs it (signed by the role), the owner polls its status, and once
 * processed asks for a download URL that the browser GETs (signed by the role).
 */
async function intakeApiCalls(envName: 'dev' | 'prod'): Promise<SdkCall[]> {
  const deployment = synthesizedDeployment(envName);
  const env = functionEnvironment(deployment, 'Intake', 'ApiHandler');
  let table!: FakeStatusTable;
  const { loaded, mocks } = await coldStart(
    () => import('../../../lambda/intake-api/index') as Promise<{ handler: AnyHandler }>,
    env,
    async (m: ClientMocks) => {
      table = await FakeStatusTable.install(m);
    },
  );
  const body = JSON.stringify({ fileName: 'report.pdf', contentType: 'application/pdf', size: 1000 });
  const created = (await loaded.handler(httpApiEvent({ method: 'POST', body }), {})) as {
    statusCode: number;
    body: string;
  };
  expect(created.statusCode).toBe(201);
  const presigned = JSON.parse(created.body) as { uploadId: string; fields: Record<string, string> };
  const status = (await loaded.handler(httpApiEvent({ rawPath: `/uploads/${presigned.uploadId}` }), {})) as {
    statusCode: number;
  };
  expect(status.statusCode).toBe(200);
  const listed = (await loaded.handler(httpApiEvent({ rawPath: '/uploads' }), {})) as { statusCode: number };
  expect(listed.statusCode).toBe(200);
  // The pipeline processes it; the owner asks for a download URL, the browser GETs it (signed by the role).
  const record = table.items.get(presigned.uploadId)!;
  const processedKey = String(record.uploadKey).replace(/^uploads\//, 'processed/');
  table.items.set(presigned.uploadId, { ...record, status: 'processed', processedKey });
  const download = (await loaded.handler(
    httpApiEvent({ rawPath: `/uploads/${presigned.uploadId}/download` }),
    {},
  )) as { statusCode: number; body: string };
  expect(download.statusCode).toBe(200);
  const url = new URL((JSON.parse(download.body) as { url: string }).url);
  expect(decodeURIComponent(url.pathname)).toContain(processedKey);
  return [
    ...recordedCalls(mocks),
    presignedPostCall(env[HANDLER_ENV.UPLOADS_BUCKET], presigned.fields),
    presignedGetCall(env[HANDLER_ENV.PROCESSED_BUCKET], processedKey),
  ];
}

/** What S3 authorizes when a browser GETs a presigned download URL: a GetObject by the role that signed it. */
function presignedGetCall(bucket: string, key: string): SdkCall {
  return { service: 's3', command: 'GetObjectCommand', input: { Bucket: bucket, Key: key } };
}

/** A nightly verification run that finds one source broken: list, head, read, write the report, alert. */
async function verifierCalls(envName: 'dev' | 'prod'): Promise<SdkCall[]> {
  const deployment = synthesizedDeployment(envName);
  const env = functionEnvironment(deployment, 'Backups', 'Verifier');
  const { loaded, mocks } = await coldStart(
    () => import('../../../lambda/backup-verify/index') as Promise<{ handler: AnyHandler }>,
    env,
    async (m: ClientMocks) => {
      const { FakeBackupsBucket, noise, hoursBefore } =
        await import('../../core/backup/verify/fake-backups-bucket');
      const sns = await import('@aws-sdk/client-sns');
      const bucket = new FakeBackupsBucket(m.s3);
      bucket.putBackup('main-db', hoursBefore(new Date(), 2), 'dump', noise(4 * 1024 * 1024));
      m.sns.on(sns.PublishCommand).resolves({ MessageId: 'm1' });
    },
  );
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  await loaded.handler({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: {} }, {});
  return recordedCalls(mocks);
}

/** A DLQ alarm: redrive the intake DLQ (one message is poison and parked), re-arm, report, record the transition. */
async function operationsCalls(envName: 'dev' | 'prod'): Promise<SdkCall[]> {
  const deployment = synthesizedDeployment(envName);
  const env = functionEnvironment(deployment, 'Operations', 'OperationsOperationsHandlerFunction');
  const routes = JSON.parse(env[HANDLER_ENV.REDRIVE_ROUTES]) as {
    deadLetterQueueName: string;
    deadLetterQueueUrl: string;
  }[];
  const fixtures = await import('../../lambda/operations/operations-fixtures');
  const { loaded, mocks } = await coldStart(
    () => import('../../../lambda/operations/index') as Promise<{ handler: AnyHandler }>,
    { ...env, [HANDLER_ENV.REDRIVE_MAX_MESSAGES]: '2' },
    async (m: ClientMocks) => {
      const sqsModule = await import('@aws-sdk/client-sqs');
      const dynamo = await import('@aws-sdk/client-dynamodb');
      const sns = await import('@aws-sdk/client-sns');
      const cloudwatch = await import('@aws-sdk/client-cloudwatch');
      const sqs = new fixtures.FakeSqs(m.sqs, sqsModule);
      new fixtures.FakeIdempotencyTable(m.dynamodb, dynamo);
      for (const body of ['a', 'b', 'c']) sqs.put(routes[0].deadLetterQueueUrl, body);
      m.sns.on(sns.PublishCommand).resolves({ MessageId: 'sns-1' });
      m.cloudwatch.on(cloudwatch.SetAlarmStateCommand).resolves({});
    },
  );
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const alarmName = `Stowage-${envName}-IntakeDlqDepth`;
  const event = fixtures.alarmEvent({
    alarmName,
    metrics: [
      {
        namespace: 'AWS/SQS',
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: routes[0].deadLetterQueueName },
      },
    ],
  });
  await loaded.handler(event, fixtures.lambdaContext());
  return recordedCalls(mocks);
}

describe.each(['dev', 'prod'] as const)(
  'handler roles in %s: every call the handler makes is allowed',
  (envName) => {
    it('intake API (presign, status record, the presigned POST, status read, list, the presigned download GET)', async () => {
      const deployment = synthesizedDeployment(envName);
      const calls = await intakeApiCalls(envName);
      expect(commandNames(calls)).toEqual([
        'dynamodb Get',
        'dynamodb Put',
        'dynamodb Query',
        's3 GetObject',
        's3 PutObject',
      ]);
      const decisions = await decisionsFor(
        roleOf(deployment, 'Intake', 'ApiHandlerRole'),
        calls,
        deployment.model,
      );
      expect(denials(decisions)).toEqual([]);
      // The list doctor evaluates (role-calls.ts) covers every call the code made.
      expect(uncoveredBy(contractRoleOf(deployment, 'intake-api'), calls, deployment.model)).toEqual([]);
    });

    it('backup verifier (list, head, ranged reads, report, alert)', async () => {
      const deployment = synthesizedDeployment(envName);
      const calls = await verifierCalls(envName);
      expect(commandNames(calls)).toEqual(
        expect.arrayContaining(['s3 GetObject', 's3 ListObjectsV2', 's3 PutObject', 'sns Publish']),
      );
      const decisions = await decisionsFor(
        roleOf(deployment, 'Backups', 'VerifierRole'),
        calls,
        deployment.model,
      );
      expect(denials(decisions)).toEqual([]);
      // The list doctor evaluates (role-calls.ts) covers every call the code made.
      expect(uncoveredBy(contractRoleOf(deployment, 'verifier'), calls, deployment.model)).toEqual([]);
    });

    it('operations handler (redrive a DLQ, re-arm its alarm, report, idempotency records)', async () => {
      const deployment = synthesizedDeployment(envName);
      const calls = await operationsCalls(envName);
      expect(commandNames(calls)).toEqual(
        expect.arrayContaining([
          'sqs ReceiveMessage',
          'sqs SendMessageBatch',
          'sqs DeleteMessageBatch',
          'sns Publish',
        ]),
      );
      const decisions = await decisionsFor(
        roleOf(deployment, 'Operations', 'OperationsOperationsHandlerRole'),
        calls,
        deployment.model,
      );
      expect(denials(decisions)).toEqual([]);
      // The list doctor evaluates (role-calls.ts) covers every call the code made.
      expect(uncoveredBy(contractRoleOf(deployment, 'operations'), calls, deployment.model)).toEqual([]);
    });
  },
);
