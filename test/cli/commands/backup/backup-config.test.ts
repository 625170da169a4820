import { spawnSync } from 'child_process';
import { join } from 'path';
import { resolveBackupConfig } from '../../../../cli/commands/backup/backup-config';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'stowage.js');

describe('backup connection config', () => {
  it('takes flags over environment variables', () => {
    const env = {
      STOWAGE_BACKUPS_BUCKET: 'from-env',
      AWS_REGION: 'eu-west-1',
      AWS_PROFILE: 'ops',
      STOWAGE_S3_ENDPOINT: 'http://127.0.0.1:7480',
      STOWAGE_BACKUPS_KMS_KEY_ID: 'alias/env',
    };
    expect(resolveBackupConfig({}, env)).toEqual({
      bucket: 'from-env',
      idleTimeoutMs: 60_000,
      connectTimeoutMs: 10_000,
      region: 'eu-west-1',
      profile: 'ops',
      endpoint: 'http://127.0.0.1:7480',
      kmsKeyId: 'alias/env',
    });
    expect(resolveBackupConfig({ bucket: 'flag', kmsKeyId: 'alias/flag' }, env)).toMatchObject({
      bucket: 'flag',
      kmsKeyId: 'alias/flag',
    });
  });

  it('takes --timeout and --connect-timeout in seconds and refuses nonsense', () => {
    expect(resolveBackupConfig({ bucket: 'b', timeout: '2.5', connectTimeout: '1' }, {})).toMatchObject({
      idleTimeoutMs: 2_500,
      connectTimeoutMs: 1_000,
    });
    expect(() => resolveBackupConfig({ bucket: 'b', timeout: '0' }, {})).toThrow(
      "--timeout must be seconds from more than 0 to 3600, got '0'",
    );
    expect(() => resolveBackupConfig({ bucket: 'b', connectTimeout: 'x' }, {})).toThrow('--connect-timeout');
  });

  it('requires a bucket and a URL endpoint, with messages naming the flag and the variable', () => {
    expect(() => resolveBackupConfig({}, {})).toThrow(
      'no backups bucket: pass --bucket NAME or set STOWAGE_BACKUPS_BUCKET',
    );
    expect(() => resolveBackupConfig({ bucket: 'b', endpointUrl: 'localhost:7480' }, {})).toThrow(
      '--endpoint-url must be an http(s) URL',
    );
  });

  it('exits 2 from the process with the message when the bucket is missing', () => {
    const env = { ...process.env, STOWAGE_BACKUPS_BUCKET: '' };
    const result = spawnSync(process.execPath, [BIN, 'backup', 'list'], { encoding: 'utf8', env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'stowage: no backups bucket: pass --bucket NAME or set STOWAGE_BACKUPS_BUCKET',
    );
  });
});
