import { randomBytes } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Readable } from 'stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  RestoreObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { runBackupArchiveCommand } from '../../../cli/commands/backup/archive';
import { runBackupDeleteCommand } from '../../../cli/commands/backup/delete';
import { runBackupListCommand } from '../../../cli/commands/backup/list';
import { runBackupPullCommand } from '../../../cli/commands/backup/pull';
import { runBackupPushCommand } from '../../../cli/commands/backup/push';
import { runBackupRestoreCommand } from '../../../cli/commands/backup/restore';
import type { SdkCall } from '../../../lib/security/iam-contract/sdk-call';
import { recordingIo } from '../../cli/commands/backup/fake-backup-io';
import { commandNames, decisionsFor, denials, uncoveredBy } from './contract-assertions';
import type { SynthesizedDeployment } from './deployment';
import { contractRoleOf, bucketName, roleOf, synthesizedDeployment } from './deployment';
import type { ClientMocks } from './recorder';
import { mockAllClients, recordedCalls } from './recorder';

const MiB = 1024 * 1024;
const KEY = 'backups/db/20261123/db_20261123_040000.dump';
const dir = mkdtempSync(join(tmpdir(), 'stowage-iam-writer-'));

let mocks: ClientMocks;
beforeAll(async () => {
  mocks = await mockAllClients();
});

/** Where `stowage backup` writes in an env: its backups bucket and key, as an operator configures them. */
function target(deployment: SynthesizedDeployment) {
  const bucket = bucketName(deployment, 'Storage', 'BackupsBucket');
  const keyArn = deployment.model.bucketKeys.get(bucket)!.keyArn;
  return {
    bucket,
    keyArn,
    io: () => recordingIo({ env: { STOWAGE_BACKUPS_BUCKET: bucket, STOWAGE_BACKUPS_KMS_KEY_ID: keyArn } }),
  };
}

/** HeadObject answers with what the last PUT or CreateMultipartUpload declared. */
function headEchoesUpload(size: number, keyArn: string): void {
  mocks.s3.on(HeadObjectCommand).callsFake(() => {
    const last = [
      ...mocks.s3.commandCalls(PutObjectCommand),
      ...mocks.s3.commandCalls(CreateMultipartUploadCommand),
    ].at(-1)!;
    return {
      ContentLength: size,
      VersionId: 'v1',
      Metadata: last.args[0].input.Metadata,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: keyArn,
    };
  });
}

/** Push's key choice and race check list the key's versions and uploads in progress: none yet. */
function freeKeys(): void {
  mocks.s3.on(ListObjectVersionsCommand).resolves({ Versions: [] });
  mocks.s3.on(ListMultipartUploadsCommand).resolves({ Uploads: [] });
}

/** Runs every backup-writer workflow of the CLI against mocks and returns the calls they made. */
async function writerWorkflows(deployment: SynthesizedDeployment): Promise<SdkCall[]> {
  const { keyArn, bucket, io } = target(deployment);
  const calls: SdkCall[] = [];
  const collect = () => {
    calls.push(...recordedCalls(mocks));
    for (const mock of Object.values(mocks)) mock.reset();
  };

  // push, single PUT, verified by reading the version back
  const small = randomBytes(1000);
  const smallPath = join(dir, 'db.dump');
  writeFileSync(smallPath, small);
  freeKeys();
  mocks.s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
  headEchoesUpload(small.length, keyArn);
  mocks.s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([small]) }));
  expect(await runBackupPushCommand(smallPath, { source: 'db', check: false }, io())).toBe(0);
  collect();

  // push, multipart: the first attempt fails and is aborted, the second completes
  const big = randomBytes(11 * MiB);
  const bigPath = join(dir, 'files.tar.gz');
  writeFileSync(bigPath, big);
  freeKeys();
  mocks.s3.on(CreateMultipartUploadCommand).resolvesOnce({ UploadId: 'u1' }).resolves({ UploadId: 'u2' });
  mocks.s3
    .on(UploadPartCommand)
    .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    .resolves({ ETag: '"x"' });
  mocks.s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v2' });
  mocks.s3.on(AbortMultipartUploadCommand).resolves({});
  headEchoesUpload(big.length, keyArn);
  mocks.s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([big]) }));
  expect(
    await runBackupPushCommand(
      bigPath,
      { source: 'files', partSize: '5M', retries: '2', retryDelays: '0.01', check: false },
      io(),
    ),
  ).toBe(0);
  collect();

  // push whose verification fails: the version it wrote is deleted
  freeKeys();
  mocks.s3.on(PutObjectCommand).resolves({ VersionId: 'v7' });
  mocks.s3.on(HeadObjectCommand).resolves({ ContentLength: 99, Metadata: { sha256: 'f'.repeat(64) } });
  mocks.s3.on(DeleteObjectCommand).resolves({});
  expect(await runBackupPushCommand(smallPath, { source: 'db', check: false }, io())).toBe(1);
  collect();

  // list, pull, archive, restore
  mocks.s3
    .on(ListObjectsV2Command)
    .resolves({ Contents: [{ Key: KEY, Size: 1000, LastModified: new Date() }] });
  mocks.s3.on(HeadObjectCommand).resolves({ ContentLength: 1000, Metadata: {} });
  expect(await runBackupListCommand({}, io())).toBe(0);
  collect();

  const plain = randomBytes(1000);
  const hash = (await import('crypto')).createHash('sha256').update(plain).digest('hex');
  const metadata = { sha256: hash, 'original-size': '1000', 'stored-sha256': hash, encryption: 'none' };
  mocks.s3
    .on(HeadObjectCommand)
    .resolves({ ContentLength: 1000, VersionId: 'v1', ETag: '"e"', Metadata: metadata });
  mocks.s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([plain]) }));
  expect(await runBackupPullCommand(KEY, { output: mkdtempSync(join(dir, 'pull-')) }, io())).toBe(0);
  collect();

  const sse = { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: keyArn, BucketKeyEnabled: true };
  mocks.s3
    .on(HeadObjectCommand)
    .resolvesOnce({ ContentLength: 10, VersionId: 'v1', Metadata: metadata, ...sse })
    .resolves({
      ContentLength: 10,
      VersionId: 'v2',
      Metadata: metadata,
      StorageClass: 'DEEP_ARCHIVE',
      ...sse,
    });
  mocks.s3.on(CopyObjectCommand).resolves({ VersionId: 'v2' });
  expect(await runBackupArchiveCommand(KEY, { class: 'deep_archive' }, io())).toBe(0);
  collect();

  mocks.s3.on(HeadObjectCommand).resolves({ ContentLength: 10, VersionId: 'v1', StorageClass: 'GLACIER' });
  mocks.s3.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 202 } });
  expect(await runBackupRestoreCommand(KEY, { days: '7', tier: 'bulk' }, io())).toBe(0);
  collect();

  // delete --yes: every version of the backup (and of its digest manifest), each looked at before it goes
  mocks.s3
    .on(ListObjectVersionsCommand)
    .callsFake((input: { Prefix: string }) =>
      input.Prefix === KEY
        ? { Versions: [{ Key: KEY, VersionId: 'v1', IsLatest: true, Size: 10, LastModified: new Date() }] }
        : { Versions: [] },
    );
  mocks.s3.on(HeadObjectCommand).resolves({ ContentLength: 10, VersionId: 'v1' });
  mocks.s3.on(DeleteObjectCommand).resolves({});
  expect(await runBackupDeleteCommand(KEY, { yes: true }, io())).toBe(0);
  collect();

  expect(calls.every((call) => call.input.Bucket === undefined || call.input.Bucket === bucket)).toBe(true);
  return calls;
}

describe.each(['dev', 'prod'] as const)('backup writer role in %s', (envName) => {
  it('allows every call of push (PUT and multipart, abort, delete of a failed push), list, pull, archive, restore, delete', async () => {
    const deployment = synthesizedDeployment(envName);
    const calls = await writerWorkflows(deployment);
    expect(commandNames(calls)).toEqual(
      expect.arrayContaining([
        's3 AbortMultipartUpload',
        's3 CopyObject',
        's3 CreateMultipartUpload',
        's3 DeleteObject',
        's3 GetObject',
        's3 ListObjectsV2',
        's3 PutObject',
        's3 RestoreObject',
        's3 UploadPart',
      ]),
    );
    const decisions = await decisionsFor(
      roleOf(deployment, 'Backups', 'BackupWriterRole'),
      calls,
      deployment.model,
    );
    expect(denials(decisions)).toEqual([]);
    // The list doctor evaluates (role-calls.ts) covers every call the code made.
    expect(uncoveredBy(contractRoleOf(deployment, 'backup-writer'), calls, deployment.model)).toEqual([]);
  }, 120_000);
});
