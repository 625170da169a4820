import {
  backupKey,
  dayStamp,
  parseBackupKey,
  reportKey,
  timeStamp,
} from '../../../../lambda/shared/backup/backup-layout';

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
    });
    for (const key of [
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

  it('refuses source names and extensions that would break the layout', () => {
    expect(() => backupKey('Main DB', at, 'dump')).toThrow("invalid source name 'Main DB'");
    expect(() => backupKey('db/../x', at, 'dump')).toThrow('invalid source name');
    expect(() => backupKey('db', at, '.gz')).toThrow("invalid extension '.gz'");
  });
});
