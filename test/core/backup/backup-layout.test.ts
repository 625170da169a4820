import {
  backupKey,
  dayStamp,
  digestManifestKey,
  parseBackupKey,
  parseDigestManifest,
  reportKey,
  timeStamp,
} from '../../../core/backup/backup-layout';

describe('backups layout', () => {
  const at = new Date('2026-11-23T04:05:06.789Z');

  it('names a backup backups/<source>/<yyyymmdd>/<source>_<yyyymmdd_hhmmss>.<ext> in UTC', () => {
    expect(dayStamp(at)).toBe('20261123');
    expect(timeStamp(at)).toBe('20261123_040506');
    expect(backupKey('main-db', at, 'dump')).toBe('backups/main-db/20261123/main-db_20261123_040506.dump');
    expect(backupKey('web', at, 'tar.gz')).toBe('backups/web/20261123/web_20261123_040506.tar.gz');
    expect(reportKey(at)).toBe('reports/20261123.json');
  });

  it('parses its own keys back, and nothing else', () => {
    expect(parseBackupKey('backups/main-db/20261123/main-db_20261123_040506.dump')).toEqual({
      source: 'main-db',
      takenAt: new Date('2026-11-23T04:05:06.000Z'),
      extension: 'dump',
      sequence: 1,
    });
    for (const key of [
      'backups/main-db/20261123/main-db_20261123_040506_1.dump', // the first of a second has no suffix
      'backups/main-db/20261123/main-db_20261123_040506.dump.stowage-digest.json', // a digest manifest
      'backups/main-db/20261124/main-db_20261123_040506.dump', // day folder and stamp disagree
      'backups/main-db/20261123/other_20261123_040506.dump', // another source's file
      'backups/main-db/20261323/main-db_20261323_040506.dump', // month 13
      'backups/main-db/20261123/main-db_20261123_250000.dump', // hour 25
      'reports/20261123.json',
      'test/x.dump',
    ]) {
      expect(parseBackupKey(key)).toBeUndefined();
    }
  });

  it('names and parses the n-th backup of one second with a _n suffix', () => {
    const key = backupKey('main-db', at, 'dump', 2);
    expect(key).toBe('backups/main-db/20261123/main-db_20261123_040506_2.dump');
    expect(parseBackupKey(key)).toMatchObject({ source: 'main-db', extension: 'dump', sequence: 2 });
    expect(() => backupKey('main-db', at, 'dump', 0)).toThrow('invalid sequence 0');
  });

  it('reads digest manifests back and refuses malformed ones', () => {
    const manifest = {
      key: 'backups/db/20261123/db_20261123_040506.dump',
      versionId: 'v1',
      sha256: 'a'.repeat(64),
      'original-size': '10',
      'stored-sha256': 'a'.repeat(64),
      'stored-size': '10',
    };
    expect(digestManifestKey(manifest.key)).toBe(`${manifest.key}.stowage-digest.json`);
    expect(parseDigestManifest(JSON.stringify(manifest))).toEqual(manifest);
    expect(parseDigestManifest('not json')).toBeUndefined();
    expect(parseDigestManifest(JSON.stringify({ ...manifest, sha256: 'xyz' }))).toBeUndefined();
    expect(parseDigestManifest(JSON.stringify({ ...manifest, 'original-size': -1 }))).toBeUndefined();
  });

  it('refuses source names and extensions that would break the layout', () => {
    expect(() => backupKey('Main DB', at, 'dump')).toThrow("invalid source name 'Main DB'");
    expect(() => backupKey('db/../x', at, 'dump')).toThrow('invalid source name');
    expect(() => backupKey('db', at, '.gz')).toThrow("invalid extension '.gz'");
  });
});
