import type { SQSEvent } from 'aws-lambda';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import type { SdkCall } from '../../../lib/security/iam-contract/sdk-call';
import type { StatusRecord } from '../../../core/status/upload-status';
import {
  OWNER,
  resultDetail,
  resultsMessageBody,
  sqsRecord,
  statusRecord,
  verdictFor,
} from '../../core/intake/pipeline-fixtures';
import { eicarBytes } from '../../../core/scan/eicar';
import { minimalPng } from '../../core/scan/fixtures';
import { commandNames, decisionsFor, denials, uncoveredBy } from './contract-assertions';
import { contractRoleOf, functionEnvironment, roleOf, synthesizedDeployment } from './deployment';
import { FakeStatusTable } from './fake-status-table';
import type { ClientMocks } from './recorder';
import { coldStart, recordedCalls, restoreEnv } from './recorder';

type SqsHandler = (event: SQSEvent, context?: unknown) => Promise<{ batchItemFailures: unknown[] }>;

const KEY = `uploads/${OWNER}/2025/03/04/u1.png`;

/** The EventBridge Object Created event as the intake queue delivers it. */
function objectCreated(bucket: string, key: string, versionId: string): string {
  return JSON.stringify({
    version: '0',
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: bucket }, object: { key, 'version-id': versionId } },
  });
}

/**
 * Runs one handler's real adapter (lambda/<dir>/index.ts) with the environment its synthesized function gets, every
 * AWS client mocked by a stateful fake, on an upload landed in the uploads bucket; returns the calls it made.
 */
async function runPipelineHandler(
  envName: 'dev' | 'prod',
  directory: 'scan' | 'quarantine' | 'process',
  logicalId: string,
  body: Buffer,
  message: (uploads: string, versionId: string) => string,
  status: StatusRecord['status'],
): Promise<SdkCall[]> {
  const deployment = synthesizedDeployment(envName);
  const env = functionEnvironment(deployment, 'Intake', logicalId);
  const uploads = env[HANDLER_ENV.UPLOADS_BUCKET];
  let versionId = '';
  const { loaded, mocks } = await coldStart(
    () => import(`../../../lambda/${directory}/index`) as Promise<{ handler: SqsHandler }>,
    env,
    async (m: ClientMocks) => {
      const { FakeS3 } = await import('../../core/intake/fake-s3');
      const events = await import('@aws-sdk/client-eventbridge');
      const fakeS3 = new FakeS3(m.s3);
      versionId = fakeS3.put(uploads, KEY, body, {
        contentType: 'image/png',
        metadata: { 'upload-id': 'u1' },
      }).versionId;
      m.events.on(events.PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
      const table = await FakeStatusTable.install(m);
      // A scan finds the record unbound and binds it; process and quarantine act only on the version it is bound to.
      const bound = status === 'pending' ? {} : { sourceVersionId: versionId };
      table.items.set('u1', { ...statusRecord('u1', { status, uploadKey: KEY, ...bound }) });
    },
  );
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const response = await loaded.handler({ Records: [sqsRecord('m1', message(uploads, versionId))] }, {});
  expect(response.batchItemFailures).toEqual([]);
  return recordedCalls(mocks);
}

afterEach(() => {
  jest.restoreAllMocks();
  restoreEnv();
});

describe.each(['dev', 'prod'] as const)(
  'pipeline roles in %s: every call the handler makes is allowed',
  (envName) => {
    it('scan handler (clean upload: read, tag, record, publish)', async () => {
      const calls = await runPipelineHandler(
        envName,
        'scan',
        'ScanHandler',
        minimalPng(),
        (uploads, versionId) => objectCreated(uploads, KEY, versionId),
        'pending',
      );
      const deployment = synthesizedDeployment(envName);
      expect(commandNames(calls)).toEqual(
        expect.arrayContaining([
          's3 GetObject',
          's3 PutObjectTagging',
          'events PutEvents',
          'dynamodb UpdateCommand'.replace('Command', ''),
        ]),
      );
      const decisions = await decisionsFor(
        roleOf(deployment, 'Intake', 'ScanHandlerRole'),
        calls,
        deployment.model,
      );
      expect(denials(decisions)).toEqual([]);
      // The list doctor evaluates (role-calls.ts) covers every call the code made.
      expect(uncoveredBy(contractRoleOf(deployment, 'scan'), calls, deployment.model)).toEqual([]);
    });

    it('process handler (clean upload: copy to processed, manifest, delete the source version)', async () => {
      const png = minimalPng();
      const calls = await runPipelineHandler(
        envName,
        'process',
        'ProcessHandler',
        png,
        (uploads, versionId) =>
          resultsMessageBody({
            ...resultDetail('u1', KEY, versionId, verdictFor(png, 'CLEAN', { detectedType: 'image/png' })),
            bucket: uploads,
          }),
        'scanning',
      );
      const deployment = synthesizedDeployment(envName);
      expect(commandNames(calls)).toEqual(expect.arrayContaining(['s3 CopyObject', 's3 DeleteObject']));
      const decisions = await decisionsFor(
        roleOf(deployment, 'Intake', 'ProcessHandlerRole'),
        calls,
        deployment.model,
      );
      expect(denials(decisions)).toEqual([]);
      // The list doctor evaluates (role-calls.ts) covers every call the code made.
      expect(uncoveredBy(contractRoleOf(deployment, 'process'), calls, deployment.model)).toEqual([]);
    });

    it('quarantine handler (infected upload: copy to quarantine, delete the source version)', async () => {
      const eicar = eicarBytes();
      const calls = await runPipelineHandler(
        envName,
        'quarantine',
        'QuarantineHandler',
        eicar,
        (uploads, versionId) =>
          resultsMessageBody({
            ...resultDetail(
              'u1',
              KEY,
              versionId,
              verdictFor(eicar, 'INFECTED', { signature: 'Eicar-Test-Signature' }),
            ),
            bucket: uploads,
          }),
        'scanning',
      );
      const deployment = synthesizedDeployment(envName);
      expect(commandNames(calls)).toEqual(expect.arrayContaining(['s3 CopyObject', 's3 DeleteObject']));
      const decisions = await decisionsFor(
        roleOf(deployment, 'Intake', 'QuarantineHandlerRole'),
        calls,
        deployment.model,
      );
      expect(denials(decisions)).toEqual([]);
      // The list doctor evaluates (role-calls.ts) covers every call the code made.
      expect(uncoveredBy(contractRoleOf(deployment, 'quarantine'), calls, deployment.model)).toEqual([]);
    });
  },
);
