import { Readable } from 'stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupListCommand, type BackupListEntry } from '../../../../cli/commands/backup/list';
import { recordingIo } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';

it('list shows the digest of a backup streamed from stdin, read from its digest manifest', async () => {
  const manifest = JSON.stringify({
    key: KEY,
    sha256: 'ab'.repeat(32),
    'original-size': '123',
    'stored-sha256': 'ab'.repeat(32),
    'stored-size': '123',
  });
  s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: KEY, Size: 123 }] });
  s3.on(HeadObjectCommand).resolves({
    ContentLength: 123,
    Metadata: { encryption: 'none', digest: 'manifest' },
  });
  s3.on(GetObjectCommand, { Key: `${KEY}.stowage-digest.json` }).callsFake(() => ({
    Body: Object.assign(Readable.from([manifest]), { transformToString: async () => manifest }),
  }));
  const io = recordingIo();
  expect(await runBackupListCommand({ json: true }, io)).toBe(0);
  const [entry] = JSON.parse(io.stdout.join('\n')) as BackupListEntry[];
  expect(entry).toMatchObject({ key: KEY, sha256: 'ab'.repeat(32), originalSize: 123 });
});
