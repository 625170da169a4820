import {
  DeleteObjectsCommand,
  GetObjectTaggingCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runCleanupCommand } from '../../../../cli/commands/cleanup';
import {
  effectivePrefix,
  selectProcessedOrphans,
  selectUploads,
} from '../../../../cli/commands/cleanup/selection';
import { UsageError } from '../../../../cli/commands/scan';
import type { ObjectEntry } from '../../../../cli/shared/object-listing';
import { daysAgo, recordingCommandIo, serviceError } from '../../shared/fake-command-io';

const s3 = mockClient(S3Client);

const BUCKETS = {
  STOWAGE_UPLOADS_BUCKET: 'up',
  STOWAGE_PROCESSED_BUCKET: 'proc',
  STOWAGE_QUARANTINE_BUCKET: 'quar',
  STOWAGE_BACKUPS_BUCKET: 'back',
};
const CUTOFF = daysAgo(30);

function entry(key: string, ageDays: number, size = 10): ObjectEntry {
  return { key, size, storageClass: 'STANDARD', lastModified: daysAgo(ageDays) };
}

function listed(...entries: ObjectEntry[]) {
  return { Contents: entries.map((e) => ({ Key: e.key, Size: e.size, LastModified: e.lastModified })) };
}

beforeEach(() => {
  s3.reset();
  s3.on(ListObjectsV2Command).resolves({});
  s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
  s3.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => ({
    Deleted: input.Delete.Objects.map((o) => ({ Key: o.Key })),
  }));
});

describe('cleanup selection', () => {
  it('selects old uploads never processed, keeps INFECTED/SUSPICIOUS ones and ignores young and vanished ones', () => {
    // Arrange
    const objects = [
      entry('uploads/a/2026/10/01/pending.pdf', 40),
      entry('uploads/a/2026/10/01/error.pdf', 40),
      entry('uploads/a/2026/10/01/clean.pdf', 40),
      entry('uploads/a/2026/10/01/infected.pdf', 40),
      entry('uploads/a/2026/10/01/gone.pdf', 40),
      entry('uploads/a/2026/11/20/young.pdf', 3),
    ];
    const tags = new Map<string, Record<string, string> | undefined>([
      ['uploads/a/2026/10/01/pending.pdf', {}],
      ['uploads/a/2026/10/01/error.pdf', { 'scan-status': 'ERROR' }],
      ['uploads/a/2026/10/01/clean.pdf', { 'scan-status': 'CLEAN' }],
      ['uploads/a/2026/10/01/infected.pdf', { 'scan-status': 'INFECTED' }],
      ['uploads/a/2026/10/01/gone.pdf', undefined],
      ['uploads/a/2026/11/20/young.pdf', {}],
    ]);
    // Act
    const selection = selectUploads('up', objects, tags, CUTOFF);
    // Assert
    expect(selection.candidates.map((c) => [c.key, c.reason])).toEqual([
      ['uploads/a/2026/10/01/pending.pdf', 'never scanned (no verdict)'],
      ['uploads/a/2026/10/01/error.pdf', 'scan failed (ERROR), never processed'],
      ['uploads/a/2026/10/01/clean.pdf', 'CLEAN but never processed'],
    ]);
    expect(selection.kept).toEqual([
      expect.objectContaining({
        key: 'uploads/a/2026/10/01/infected.pdf',
        reason: expect.stringMatching(/^INFECTED: awaiting/),
      }),
    ]);
  });

  it('selects old processed objects without manifests and manifests without objects, never intact pairs', () => {
    // Arrange
    const objects = [
      entry('processed/a/2026/10/01/pair.pdf', 40),
      entry('processed/a/2026/10/01/pair.pdf.manifest.json', 40),
      entry('processed/a/2026/10/01/lonely.pdf', 40),
      entry('processed/a/2026/10/01/orphan.png.manifest.json', 40),
      entry('processed/a/2026/11/22/in-progress.pdf', 1),
    ];
    // Act
    const selection = selectProcessedOrphans('proc', objects, CUTOFF);
    // Assert
    expect(selection.candidates.map((c) => [c.key, c.reason])).toEqual([
      ['processed/a/2026/10/01/lonely.pdf', 'processed object without its manifest'],
      ['processed/a/2026/10/01/orphan.png.manifest.json', 'manifest without its object'],
    ]);
  });

  it('narrows --prefix to the part of the bucket cleanup may touch', () => {
    expect(effectivePrefix('test/', undefined)).toBe('test/');
    expect(effectivePrefix('test/', 'test/old/')).toBe('test/old/');
    expect(effectivePrefix('test/', 'te')).toBe('test/');
    expect(effectivePrefix('test/', 'backups/')).toBeUndefined();
  });
});

describe('stowage cleanup', () => {
  function arrangeOldFiles(): void {
    s3.on(ListObjectsV2Command, { Bucket: 'up', Prefix: 'uploads/' })
      .resolvesOnce({
        ...listed(entry('uploads/a/2026/10/01/u1.pdf', 40, 100)),
        IsTruncated: true,
        NextContinuationToken: 'n',
      })
      .resolves(listed(entry('uploads/a/2026/11/22/u2.pdf', 1)));
    s3.on(ListObjectsV2Command, { Bucket: 'proc', Prefix: 'processed/' }).resolves(
      listed(entry('processed/a/2026/10/01/p1.pdf', 40, 50)),
    );
    s3.on(ListObjectsV2Command, { Bucket: 'quar' }).resolves(listed(entry('quarantine/u9/evil.pdf', 400)));
    s3.on(ListObjectsV2Command, { Bucket: 'back', Prefix: 'test/' }).resolves(
      listed(entry('test/doctor/x.txt', 40)),
    );
  }

  it('is a dry run by default: prints what it would delete and the total, deletes nothing', async () => {
    // Arrange
    arrangeOldFiles();
    const io = recordingCommandIo({ env: BUCKETS });
    // Act
    const code = await runCleanupCommand({ olderThan: '30' }, io);
    // Assert
    expect(code).toBe(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/Dry run: would delete objects older than 30 days in uploads, processed/);
    expect(out).toMatch(
      /would delete {2}s3:\/\/up\/uploads\/a\/2026\/10\/01\/u1\.pdf {2}100 B {2}40d00h ago {2}never scanned/,
    );
    expect(out).toMatch(
      /would delete {2}s3:\/\/proc\/processed\/a\/2026\/10\/01\/p1\.pdf .* without its manifest/,
    );
    expect(out).toMatch(/Total: 2 objects, 150 B would be deleted \(uploads 1, processed 1\)/);
    expect(s3.commandCalls(ListObjectsV2Command, { ContinuationToken: 'n' })).toHaveLength(1);
  });

  it('never looks at quarantine or backups unless named', async () => {
    arrangeOldFiles();
    const io = recordingCommandIo({ env: BUCKETS });
    await runCleanupCommand({ olderThan: '30', yes: true }, io);
    const buckets = s3.calls().map((c) => (c.args[0].input as { Bucket?: string }).Bucket);
    expect(buckets).not.toContain('quar');
    expect(buckets).not.toContain('back');
  });

  it('does not need the quarantine or backups bucket to exist unless named', async () => {
    // Only uploads and processed are named; discovery must not look for the others.
    const io = recordingCommandIo({
      env: { STOWAGE_UPLOADS_BUCKET: 'up', STOWAGE_PROCESSED_BUCKET: 'proc' },
    });
    const code = await runCleanupCommand({ olderThan: '30' }, io);
    expect(code).toBe(0);
    expect(s3.commandCalls(ListBucketsCommand)).toHaveLength(0);
  });

  it('deletes exactly the selected keys with --yes', async () => {
    // Arrange
    arrangeOldFiles();
    const io = recordingCommandIo({ env: BUCKETS });
    // Act
    const code = await runCleanupCommand({ olderThan: '30', yes: true }, io);
    // Assert
    expect(code).toBe(0);
    const deletes = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
    expect(deletes).toEqual([
      { Bucket: 'up', Delete: { Objects: [{ Key: 'uploads/a/2026/10/01/u1.pdf' }], Quiet: false } },
      { Bucket: 'proc', Delete: { Objects: [{ Key: 'processed/a/2026/10/01/p1.pdf' }], Quiet: false } },
    ]);
    expect(io.stdout.join('\n')).toMatch(/Total: deleted 2 of 2 objects/);
  });

  it('lets --dry-run win over --yes', async () => {
    arrangeOldFiles();
    const io = recordingCommandIo({ env: BUCKETS });
    const code = await runCleanupCommand({ olderThan: '30', yes: true, dryRun: true }, io);
    expect(code).toBe(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('cleans only test/ objects in backups and old quarantine when named', async () => {
    arrangeOldFiles();
    const io = recordingCommandIo({ env: BUCKETS });
    const code = await runCleanupCommand({ olderThan: '30', bucket: ['backups,quarantine'], yes: true }, io);
    expect(code).toBe(0);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ Bucket: 'quar', Prefix: 'quarantine/' }),
      expect.objectContaining({ Bucket: 'back', Prefix: 'test/' }),
    ]);
    const deleted = s3
      .commandCalls(DeleteObjectsCommand)
      .flatMap((c) => c.args[0].input.Delete!.Objects!.map((o) => o.Key));
    expect(deleted).toEqual(['quarantine/u9/evil.pdf', 'test/doctor/x.txt']);
  });

  it('deletes in batches of at most 1000 keys', async () => {
    // Arrange
    const many = Array.from({ length: 2345 }, (_, i) => entry(`uploads/a/2026/10/01/f${i}.pdf`, 40));
    s3.on(ListObjectsV2Command, { Bucket: 'up' }).resolves(listed(...many));
    const io = recordingCommandIo({ env: BUCKETS });
    // Act
    const code = await runCleanupCommand(
      { olderThan: '30', yes: true, bucket: ['uploads'], concurrency: '64' },
      io,
    );
    // Assert
    expect(code).toBe(0);
    const sizes = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete!.Objects!.length);
    expect(sizes).toEqual([1000, 1000, 345]);
  });

  it('reports every key that failed and exits 1, still deleting the rest', async () => {
    // Arrange
    const keys = Array.from({ length: 1001 }, (_, i) => entry(`uploads/a/2026/10/01/f${i}.pdf`, 40));
    s3.on(ListObjectsV2Command, { Bucket: 'up' }).resolves(listed(...keys));
    s3.on(DeleteObjectsCommand)
      .resolvesOnce({
        Deleted: keys.slice(1, 1000).map((k) => ({ Key: k.key })),
        Errors: [{ Key: keys[0]!.key, Code: 'AccessDenied', Message: 'Access Denied' }],
      })
      .rejectsOnce(serviceError('SlowDown', 503));
    const io = recordingCommandIo({ env: BUCKETS });
    // Act
    const code = await runCleanupCommand({ olderThan: '30', yes: true, bucket: ['uploads'] }, io);
    // Assert
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      `stowage cleanup: failed to delete s3://up/${keys[0]!.key}: AccessDenied: Access Denied`,
      `stowage cleanup: failed to delete s3://up/${keys[1000]!.key}: DeleteObjects failed: SlowDown [HTTP 503]`,
    ]);
    expect(io.stdout.join('\n')).toMatch(/Total: deleted 999 of 1001 objects .*; 2 failed/);
  });

  it('requires --older-than and known bucket names', async () => {
    const io = recordingCommandIo({ env: BUCKETS });
    await expect(runCleanupCommand({}, io)).rejects.toThrow(UsageError);
    await expect(runCleanupCommand({ olderThan: 'soon' }, io)).rejects.toThrow(
      /--older-than must be a number/,
    );
    await expect(runCleanupCommand({ olderThan: '1', bucket: ['access-logs'] }, io)).rejects.toThrow(
      /--bucket must be one of uploads, processed, quarantine, backups/,
    );
    expect(s3.calls()).toHaveLength(0);
  });
});
