/**
 * One presigned form POSTed twice to the real Ceph RGW (whose events carry no version id), one after the other and
 * at the same moment, with clean and EICAR files in every combination and several rounds each, through the same
 * handlers Lambda runs (createLocalIntake). After the pipeline settles: nothing is left in uploads, every version is
 * in exactly one final place, processed/<id> holds the first version's bytes only, and the status record's status,
 * verdict and SHA-256 match what is stored (upload-audit.ts).
 */
import { createHash } from 'node:crypto';

import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';

import type { PresignedUpload } from '../../lambda/intake-api/presign-upload';
import { postPresignedForm } from '../support/integration/presigned-post';
import { waitFor } from '../support/integration/wait-for';
import { requeueLeftoverUploads } from '../../local/runtime/local-mode';
import { FlowHarness, KiB, servers } from './flow-harness';
import { wavFile, wavWithEicarAcrossBoundary } from './intake-fixtures';
import { auditUpload } from './upload-audit';

const SIZE = 96 * KiB;
const ROUNDS = 3;
const NAME = 'memo.wav';

type Make = () => Buffer;
const clean: Make = () => wavFile(SIZE);
const infected: Make = () => wavWithEicarAcrossBoundary(SIZE);
const COMBINATIONS: ReadonlyArray<readonly [string, Make, Make]> = [
  ['clean, clean', clean, clean],
  ['clean, EICAR', clean, infected],
  ['EICAR, clean', infected, clean],
  ['EICAR, EICAR', infected, infected],
];

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

async function postOnce(presigned: PresignedUpload, body: Buffer): Promise<void> {
  const posted = await postPresignedForm(presigned.url, presigned.fields, body, NAME);
  expect(posted.status).toBe(204);
}

/** Waits until the upload key has no version left in uploads, the record is final and the queues are idle. */
async function settleUpload(flow: FlowHarness, presigned: PresignedUpload): Promise<void> {
  await waitFor(
    `every version of ${presigned.key} to leave uploads`,
    async () => {
      const page = await flow.s3.send(
        new ListObjectVersionsCommand({ Bucket: flow.buckets.uploads, Prefix: presigned.key }),
      );
      const record = await flow.store.get(presigned.uploadId);
      const final = record?.status === 'processed' || record?.status === 'quarantined';
      return (page.Versions ?? []).length === 0 && final ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
  await flow.settled();
}

/** Audits storage against the record; `first` is the body that must decide (undefined: either may). */
async function expectPlacedOnce(
  flow: FlowHarness,
  presigned: PresignedUpload,
  bodies: readonly Buffer[],
  first: Buffer | undefined,
): Promise<void> {
  const record = (await flow.store.get(presigned.uploadId))!;
  const audit = await auditUpload(flow.s3, flow.buckets, {
    uploadId: record.uploadId,
    uploadKey: record.uploadKey,
    status: record.status,
    ...(record.verdict ? { verdictStatus: record.verdict.status, verdictSha256: record.verdict.sha256 } : {}),
    ...(record.manifest ? { manifestSha256: record.manifest.sha256 } : {}),
    ...(record.processedKey ? { processedKey: record.processedKey } : {}),
    ...(record.quarantineKey ? { quarantineKey: record.quarantineKey } : {}),
    ...(record.sourceVersionId ? { sourceVersionId: record.sourceVersionId } : {}),
  });
  expect(audit.problems).toEqual([]);
  expect(audit.versionsPlaced).toBe(bodies.length);
  // The deciding version is one of the POSTed bodies (the first POST, when they were sent one after the other).
  const decided = bodies.find((body) => sha256(body) === record.verdict?.sha256);
  expect(decided).toBeDefined();
  if (first) expect(record.verdict?.sha256).toBe(sha256(first));
  // Every copy holds the bytes of one POSTed body, and each body is placed once.
  expect(audit.copies.map((copy) => copy.sha256).sort()).toEqual(
    expect.arrayContaining(bodies.map(sha256).sort()),
  );
  if (record.status === 'processed') {
    const object = await flow.s3.send(
      new GetObjectCommand({ Bucket: flow.buckets.processed, Key: record.processedKey! }),
    );
    expect(sha256(Buffer.from(await object.Body!.transformToByteArray()))).toBe(record.verdict?.sha256);
    expect(record.verdict?.status).toBe('CLEAN');
  } else {
    expect(record.status).toBe('quarantined');
    expect(record.quarantineKey).toBe(`quarantine/${record.uploadId}/${NAME}`);
  }
  // The owner's view says the same.
  const view = await flow.status(presigned.uploadId);
  expect(view.status).toBe(record.status);
  expect(view.verdict?.status).toBe(record.verdict?.status);
}

describe('one presigned form POSTed twice (Ceph RGW, no version ids in events)', () => {
  const flow = new FlowHarness('reuse');

  beforeAll(async () => {
    await flow.setUp({ clamd: servers.clamd, maxReceiveCount: 5 });
  });

  afterEach(async () => {
    await flow.settled();
    expect(flow.deadLetters()).toEqual({ intake: 0, quarantine: 0, process: 0 });
  });

  afterAll(async () => {
    await flow.tearDown();
  });

  const post = (presigned: PresignedUpload, body: Buffer) => postOnce(presigned, body);
  const settle = (presigned: PresignedUpload) => settleUpload(flow, presigned);
  const expectOneVersionOnePlace = (presigned: PresignedUpload, bodies: readonly Buffer[], first?: Buffer) =>
    expectPlacedOnce(flow, presigned, bodies, first);

  it.each(COMBINATIONS)(
    '%s, the second POST after the first was processed: the first decides, the second is form-reused',
    async (_, makeFirst, makeSecond) => {
      for (let round = 0; round < ROUNDS; round++) {
        // Arrange
        const presigned = await flow.presign(NAME, 'audio/wav', SIZE);
        const first = makeFirst();
        const second = makeSecond();
        await post(presigned, first);
        await settle(presigned);
        // Act
        await post(presigned, second);
        await waitFor(`the second version's quarantine copy`, async () => {
          const keys = await flow.keys(
            flow.buckets.quarantine,
            `quarantine/${presigned.uploadId}/form-reused/`,
          );
          return keys.length === 1 ? keys : undefined;
        });
        await settle(presigned);
        // Assert
        await expectOneVersionOnePlace(presigned, [first, second], first);
      }
    },
  );

  it.each(COMBINATIONS)('%s, POSTed back to back: the first decides', async (_, makeFirst, makeSecond) => {
    for (let round = 0; round < ROUNDS; round++) {
      // Arrange
      const presigned = await flow.presign(NAME, 'audio/wav', SIZE);
      const first = makeFirst();
      const second = makeSecond();
      // Act
      await post(presigned, first);
      await post(presigned, second);
      await settle(presigned);
      // Assert
      await expectOneVersionOnePlace(presigned, [first, second], first);
    }
  });

  it.each(COMBINATIONS)(
    '%s, POSTed at the same moment: one decides, both are placed',
    async (_, makeA, makeB) => {
      for (let round = 0; round < ROUNDS; round++) {
        // Arrange
        const presigned = await flow.presign(NAME, 'audio/wav', SIZE);
        const a = makeA();
        const b = makeB();
        // Act
        await Promise.all([post(presigned, a), post(presigned, b)]);
        await settle(presigned);
        // Assert
        await expectOneVersionOnePlace(presigned, [a, b], undefined);
      }
    },
  );
});

describe('a restart requeues the version of a reused form that landed while local mode was down', () => {
  const flow = new FlowHarness('requeue');

  beforeAll(async () => {
    await flow.setUp({ clamd: servers.clamd, maxReceiveCount: 5 });
  });

  afterAll(async () => {
    await flow.tearDown();
  });

  it.each([
    ['the first EICAR (quarantined), a clean leftover', infected, clean],
    ['the first clean (processed), an EICAR leftover', clean, infected],
  ])(
    '%s: the leftover is quarantined as form-reused, the record unchanged',
    async (_, makeFirst, makeSecond) => {
      // Arrange: the first POST settles; the second lands while nothing receives RGW's notification.
      const presigned = await flow.presign(NAME, 'audio/wav', SIZE);
      const first = makeFirst();
      await postOnce(presigned, first);
      await settleUpload(flow, presigned);
      const before = await flow.store.get(presigned.uploadId);
      await flow.intake.stop();
      const second = makeSecond();
      await postOnce(presigned, second);
      // Act: a new runtime on the same buckets and status records, and local mode's requeue of leftovers.
      await flow.setUp({ clamd: servers.clamd, maxReceiveCount: 5 });
      const requeued = await requeueLeftoverUploads(flow.s3, flow.buckets.uploads, (body) =>
        flow.intake.queues.intake.send(body),
      );
      await settleUpload(flow, presigned);
      // Assert
      expect(requeued).toBe(1);
      await expectPlacedOnce(flow, presigned, [first, second], first);
      const after = await flow.store.get(presigned.uploadId);
      expect(after).toMatchObject({
        status: before!.status,
        sourceVersionId: before!.sourceVersionId,
        verdict: before!.verdict,
      });
      expect(flow.deadLetters()).toEqual({ intake: 0, quarantine: 0, process: 0 });
    },
  );
});
