import { loadBackupVerifyConfig } from '../../../lambda/backup-verify/backup-verify-config';
import { HandlerConfigError } from '../../../lambda/runtime/handler-config';

const BASE = {
  STOWAGE_BACKUPS_BUCKET: 'stowage-prod-backups',
  STOWAGE_BACKUPS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/k',
  STOWAGE_BACKUP_SOURCES: JSON.stringify([{ name: 'main-db', format: 'pg-dump', minBytes: 1000 }]),
  STOWAGE_OPERATIONS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:ops',
  STOWAGE_ENV: 'prod',
};

describe('loadBackupVerifyConfig', () => {
  it('reads the variables, parses the sources and applies their defaults', () => {
    // Act
    const config = loadBackupVerifyConfig({ ...BASE, STOWAGE_BACKUP_REQUIRE_REPLICATION: 'true' });

    // Assert
    expect(config).toEqual({
      backupsBucket: 'stowage-prod-backups',
      backupsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/k',
      sources: [{ name: 'main-db', format: 'pg-dump', minBytes: 1000, maxAgeHours: 26, maxDropPercent: 50 }],
      requireReplication: true,
      operationsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
      envName: 'prod',
    });
  });

  it('names every bad variable', () => {
    // Act / Assert
    expect(() => loadBackupVerifyConfig({ STOWAGE_BACKUP_REQUIRE_REPLICATION: 'yes' })).toThrow(
      new HandlerConfigError(
        'invalid environment for the backup-verify handler: STOWAGE_BACKUPS_BUCKET: Invalid input: expected string, received undefined; ' +
          "STOWAGE_BACKUP_SOURCES: Invalid input: expected string, received undefined; STOWAGE_BACKUP_REQUIRE_REPLICATION: 'true' or 'false'; " +
          'STOWAGE_OPERATIONS_TOPIC_ARN: Invalid input: expected string, received undefined; STOWAGE_ENV: Invalid input: expected string, received undefined',
      ),
    );
  });

  it('explains bad JSON and bad sources in STOWAGE_BACKUP_SOURCES', () => {
    // Act / Assert
    expect(() => loadBackupVerifyConfig({ ...BASE, STOWAGE_BACKUP_SOURCES: '[{' })).toThrow(
      /STOWAGE_BACKUP_SOURCES: backup sources are not valid JSON/,
    );
    expect(() =>
      loadBackupVerifyConfig({
        ...BASE,
        STOWAGE_BACKUP_SOURCES: JSON.stringify([{ name: 'Main DB', format: 'zip' }]),
      }),
    ).toThrow(/0\.name: lower-case letters, digits and dashes \(1-63\); 0\.format: Invalid option/);
    expect(() =>
      loadBackupVerifyConfig({
        ...BASE,
        STOWAGE_BACKUP_SOURCES: JSON.stringify([
          { name: 'db', format: 'raw' },
          { name: 'db', format: 'gzip' },
        ]),
      }),
    ).toThrow(/1\.name: duplicate source 'db'/);
  });
});
