import type { DeepPartial, StowageConfig } from '../../../lib/config';
import { ConfigError, ENV_NAMES, loadConfig } from '../../../lib/config';
import { DEFAULT_REGION, PLACEHOLDER_ACCOUNT } from '../../../lib/config/environments';

type BackupSource = StowageConfig['backups']['sources'][number];

/** A valid backup source with `changes`. */
function source(changes: Partial<BackupSource> = {}): BackupSource {
  return { name: 'main-db', format: 'pg-dump', maxAgeHours: 26, minBytes: 1, maxDropPercent: 50, ...changes };
}

/** The ConfigError message for `env` with `overrides`, or a failure if the config is valid. */
function problemsOf(env: string, overrides: DeepPartial<StowageConfig>): string {
  try {
    loadConfig(env, { environment: {}, overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('environment configs', () => {
  it.each(ENV_NAMES)('%s loads and validates', (env) => {
    // Act
    const config = loadConfig(env, { environment: {} });
    // Assert
    expect(config.envName).toBe(env);
    expect(config.account).toBe(PLACEHOLDER_ACCOUNT);
    expect(config.region).toBe(DEFAULT_REGION);
  });

  it('carries the seed documents defaults', () => {
    const config = loadConfig('dev', { environment: {} });
    expect(config.uploads.maxSizeBytes).toBe(10 * 1024 * 1024);
    expect(config.uploads.allowedContentTypes).toEqual(
      expect.arrayContaining(['audio/webm', 'audio/wav', 'audio/mpeg', 'application/pdf', 'application/zip']),
    );
    expect(config.lifecycle.uploads.expirationDays).toBe(30);
    expect(config.lifecycle.processed.archiveAfterDays).toBe(90);
    // Presigned forms live minutes (a form can be POSTed again until it expires), shortest in prod.
    expect(
      (['dev', 'staging', 'prod'] as const).map(
        (env) => loadConfig(env, { environment: {} }).uploads.presignExpirySeconds,
      ),
    ).toEqual([900, 600, 300]);
    // Download URLs too: anyone holding one reads the file until it expires.
    expect(
      (['dev', 'staging', 'prod'] as const).map(
        (env) => loadConfig(env, { environment: {} }).uploads.downloadExpirySeconds,
      ),
    ).toEqual([900, 600, 300]);
    expect(config.lifecycle.quarantine.expirationDays).toBe(90);
    expect(config.lifecycle.backups).toMatchObject({
      archiveAfterDays: 30,
      archiveStorageClass: 'GLACIER',
      expirationDays: 90,
      testPrefixExpirationDays: 7,
    });
    expect(config.lifecycle.accessLogs).toMatchObject({ archiveAfterDays: 90, expirationDays: 2555 });
    expect(config.lifecycle.abortIncompleteMultipartUploadDays).toBe(7);
  });

  it('prod replicates, retains and never auto-deletes', () => {
    const prod = loadConfig('prod', { environment: {} });
    expect(prod.replication).toMatchObject({ enabled: true, replicationTimeControl: true, metrics: true });
    expect(prod.removalPolicy).toBe('retain');
    expect(prod.autoDeleteObjects).toBe(false);
    expect(prod.alarms.actionsEnabled).toBe(true);
  });

  it('sizes the intake handlers: a 2 GiB / 5-minute scan handler, small others, DLQ after 5 receives', () => {
    const { intake } = loadConfig('dev', { environment: {} });
    expect(intake.handlers.scan).toMatchObject({ memoryMb: 2048, timeoutSeconds: 300 });
    for (const name of ['api', 'quarantine', 'process'] as const) {
      expect(intake.handlers[name].memoryMb).toBeGreaterThanOrEqual(256);
      expect(intake.handlers[name].memoryMb).toBeLessThanOrEqual(512);
    }
    expect(intake.dlqMaxReceiveCount).toBe(5);
    expect(intake.clamdAddress).toBeUndefined();
  });

  it('keeps encrypted archive entries SUSPICIOUS in every env unless overridden', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      expect(loadConfig(env, { environment: {} }).intake.scan.allowEncryptedArchiveEntries).toBe(false);
    }
    const relaxed = loadConfig('dev', {
      environment: {},
      overrides: { intake: { scan: { allowEncryptedArchiveEntries: true } } },
    });
    expect(relaxed.intake.scan.allowEncryptedArchiveEntries).toBe(true);
  });

  it('protects uploads with GuardDuty in staging and prod, and prod only trusts an https issuer', () => {
    const dev = loadConfig('dev', { environment: {} });
    const staging = loadConfig('staging', { environment: {} });
    const prod = loadConfig('prod', { environment: {} });
    expect(dev.intake.guardDuty.malwareProtection).toBe(false);
    expect(staging.intake.guardDuty.malwareProtection).toBe(true);
    expect(prod.intake.guardDuty).toEqual({ malwareProtection: true, inconclusiveVerdict: 'SUSPICIOUS' });
    expect(prod.intake.jwt.issuerUrl).toMatch(/^https:\/\//);
  });

  it('accepts a clamd host:port and an http issuer outside prod', () => {
    const config = loadConfig('dev', {
      environment: {},
      overrides: {
        intake: { clamdAddress: 'clamd.internal:3310', jwt: { issuerUrl: 'http://localhost:9000' } },
      },
    });
    expect(config.intake.clamdAddress).toBe('clamd.internal:3310');
  });

  it('verifies the seed documents backups nightly at 04:00 UTC with a 15-minute verifier, two runs at a time', () => {
    const config = loadConfig('dev', { environment: {} });
    expect(config.backups.sources).toEqual([
      { name: 'main-db', format: 'pg-dump', maxAgeHours: 26, minBytes: 1024 * 1024, maxDropPercent: 50 },
      { name: 'server-files', format: 'tar-gz', maxAgeHours: 26, minBytes: 1024 * 1024, maxDropPercent: 50 },
    ]);
    expect(config.backups.verifySchedule).toBe('cron(0 4 * * ? *)');
    expect(config.backups.verifier).toEqual({ memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 });
    expect(config.backups.writerPrincipalArns).toEqual([]);
    // The nightly run and a re-verification the operations handler starts meanwhile: neither is throttled.
    for (const env of ENV_NAMES) {
      expect(loadConfig(env, { environment: {} }).backups.verifier.reservedConcurrency).toBe(2);
    }
  });

  it('requires replication of backups exactly where replication is on (prod)', () => {
    for (const env of ENV_NAMES) {
      const config = loadConfig(env, { environment: {} });
      expect(config.backups.requireReplication).toBe(env === 'prod');
      expect(config.backups.requireReplication).toBe(config.replication.enabled);
    }
  });

  it("fills a backup source's omitted expectations with the defaults (26 hours, 50 % drop)", () => {
    // Arrange
    const sources = [{ name: 'wiki', format: 'gzip', minBytes: 10 }] as StowageConfig['backups']['sources'];
    // Act
    const config = loadConfig('dev', { environment: {}, overrides: { backups: { sources } } });
    // Assert
    expect(config.backups.sources).toEqual([
      { name: 'wiki', format: 'gzip', minBytes: 10, maxAgeHours: 26, maxDropPercent: 50 },
    ]);
  });

  it('accepts backup writers and other cron expressions', () => {
    const config = loadConfig('staging', {
      environment: {},
      overrides: {
        backups: {
          writerPrincipalArns: ['arn:aws:iam::210987654321:role/ci-backups'],
          verifySchedule: 'cron(15 3 ? * MON-FRI *)',
          verifier: { reservedConcurrency: 1 },
        },
      },
    });
    expect(config.backups.writerPrincipalArns).toEqual(['arn:aws:iam::210987654321:role/ci-backups']);
    expect(config.backups.verifySchedule).toBe('cron(15 3 ? * MON-FRI *)');
    expect(config.backups.verifier.reservedConcurrency).toBe(1);
  });

  it("lets only dev follow the credentials: the region is the env's (eu-west-1), never CDK_DEFAULT_REGION", () => {
    const credentials = { CDK_DEFAULT_ACCOUNT: '210987654321', CDK_DEFAULT_REGION: 'us-east-1' };
    expect(loadConfig('dev', { environment: credentials })).toMatchObject({
      account: '210987654321',
      region: 'eu-west-1',
    });
    expect(loadConfig('staging', { environment: credentials })).toMatchObject({
      account: PLACEHOLDER_ACCOUNT,
      region: 'eu-west-1',
    });
  });
});

describe('deploy target', () => {
  it.each(['staging', 'prod'] as const)(
    'refuses to deploy %s without its account, naming where to set it',
    (env) => {
      expect(() =>
        loadConfig(env, { environment: { CDK_DEFAULT_ACCOUNT: '210987654321' }, deploy: true }),
      ).toThrow(
        `account: ${env} deploys only into the account it names; set ENVIRONMENTS.${env}.account in lib/config/environments.ts`,
      );
    },
  );

  it('refuses credentials of another account than the env names', () => {
    expect(() =>
      loadConfig('prod', {
        environment: { CDK_DEFAULT_ACCOUNT: '210987654321', CDK_DEFAULT_REGION: 'eu-west-1' },
        overrides: { account: '111122223333' },
        deploy: true,
      }),
    ).toThrow(
      'account: your credentials belong to account 210987654321 (CDK_DEFAULT_ACCOUNT) but prod deploys to 111122223333',
    );
  });

  it("refuses a synth whose region is not the env's (the CDK's us-east-1 default included)", () => {
    expect(() =>
      loadConfig('dev', {
        environment: { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'us-east-1' },
        deploy: true,
      }),
    ).toThrow(
      "region: the synth runs for region us-east-1 (CDK_DEFAULT_REGION, from AWS_REGION or your profile; us-east-1 when neither is set) but dev's region is eu-west-1",
    );
  });

  it('checks nothing without credentials (nothing can be deployed): synth:all and CI synthesize every env', () => {
    const config = loadConfig('prod', { environment: { CDK_DEFAULT_REGION: 'us-east-1' }, deploy: true });
    expect(config).toMatchObject({ account: PLACEHOLDER_ACCOUNT, region: 'eu-west-1' });
  });

  it('deploys an env that names its account with matching credentials and region', () => {
    const config = loadConfig('prod', {
      environment: { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'eu-west-1' },
      overrides: { account: '111122223333' },
      deploy: true,
    });
    expect(config).toMatchObject({ account: '111122223333', region: 'eu-west-1' });
  });
});

describe('config validation', () => {
  it('rejects an unknown env and lists the allowed ones', () => {
    expect(() => loadConfig('qa', { environment: {} })).toThrow(
      "Invalid Stowage configuration for env 'qa':\n  - env: unknown environment 'qa'; allowed: dev, staging, prod",
    );
  });

  it.each<[string, string, DeepPartial<StowageConfig>, string]>([
    [
      'negative days',
      'dev',
      { lifecycle: { uploads: { expirationDays: -1 } } },
      'lifecycle.uploads.expirationDays: must be at least 1 day (got -1)',
    ],
    [
      'fractional days',
      'dev',
      { lifecycle: { noncurrentVersionExpirationDays: 1.5 } },
      'lifecycle.noncurrentVersionExpirationDays: must be a whole number of days (got 1.5)',
    ],
    [
      '* origin in prod',
      'prod',
      { cors: { allowedOrigins: ['*'] } },
      "cors.allowedOrigins.0: '*' is not allowed in prod: list explicit https:// origins",
    ],
    [
      'http origin in prod',
      'prod',
      { cors: { allowedOrigins: ['http://stowage.example.com'] } },
      "cors.allowedOrigins.0: 'http://stowage.example.com' is not allowed in prod",
    ],
    [
      'origin with a path',
      'dev',
      { cors: { allowedOrigins: ['https://a.example.com/app'] } },
      'cors.allowedOrigins.0: must be a scheme and host',
    ],
    [
      'replica region equal to the primary',
      'prod',
      { replication: { replicaRegion: 'eu-west-1' } },
      'replication.replicaRegion: must differ from the primary region (eu-west-1)',
    ],
    [
      'transition after expiration',
      'dev',
      { lifecycle: { backups: { archiveAfterDays: 120, expirationDays: 90 } } },
      'lifecycle.backups.expirationDays: must be after archiveAfterDays (120) (got 90)',
    ],
    [
      'archive days without a class',
      'dev',
      { lifecycle: { uploads: { archiveAfterDays: 10 } } },
      'lifecycle.uploads.archiveStorageClass: archiveAfterDays and archiveStorageClass must be set together',
    ],
    [
      'unknown archive class',
      'dev',
      { lifecycle: { processed: { archiveStorageClass: 'TAPE' as 'GLACIER' } } },
      'lifecycle.processed.archiveStorageClass: Invalid option',
    ],
    [
      'test/ expiry beyond backups expiry',
      'dev',
      { lifecycle: { backups: { testPrefixExpirationDays: 120 } } },
      'lifecycle.backups.testPrefixExpirationDays: must not exceed backups.expirationDays (90)',
    ],
    [
      'replication off in prod',
      'prod',
      { replication: { enabled: false } },
      'replication.enabled: must be true in prod',
    ],
    ['destroy in prod', 'prod', { removalPolicy: 'destroy' }, "removalPolicy: must be 'retain' in prod"],
    [
      'auto-delete with retain',
      'staging',
      { autoDeleteObjects: true },
      "autoDeleteObjects: can only be true when removalPolicy is 'destroy'",
    ],
    [
      'RTC without metrics',
      'prod',
      { replication: { metrics: false } },
      'replication.metrics: must be true when replicationTimeControl is on',
    ],
    [
      'log retention CloudWatch does not offer',
      'dev',
      { logRetentionDays: 45 },
      'logRetentionDays: must be one of 1, 3, 5, 7, 14, 30',
    ],
    ['bad account id', 'dev', { account: '1234' }, 'account: must be a 12-digit AWS account id (got "1234")'],
    [
      'bad region',
      'dev',
      { region: 'europe' },
      'region: must be an AWS region such as eu-west-1 (got "europe")',
    ],
    [
      'zero upload cap',
      'dev',
      { uploads: { maxSizeBytes: 0 } },
      'uploads.maxSizeBytes: must be at least 1 byte (got 0)',
    ],
    [
      'upload cap over 5 GiB',
      'dev',
      { uploads: { maxSizeBytes: 6 * 1024 ** 3 } },
      'uploads.maxSizeBytes: must be at most 5 GiB',
    ],
    [
      'presigned forms that live for an hour',
      'dev',
      { uploads: { presignExpirySeconds: 3600 } },
      'uploads.presignExpirySeconds: must be at most 900 seconds (15 minutes): a presigned form can be POSTed again until it expires',
    ],
    [
      'presigned forms too short for a browser',
      'dev',
      { uploads: { presignExpirySeconds: 10 } },
      'uploads.presignExpirySeconds: must be at least 60 seconds',
    ],
    [
      'presign expiry in fractions of a second',
      'dev',
      { uploads: { presignExpirySeconds: 300.5 } },
      'uploads.presignExpirySeconds: must be whole seconds',
    ],
    [
      'download URLs that live a day',
      'dev',
      { uploads: { downloadExpirySeconds: 86_400 } },
      'uploads.downloadExpirySeconds: must be at most 3600 seconds (1 hour): anyone holding the URL can read the file until it expires',
    ],
    [
      'download URLs too short to start the GET',
      'dev',
      { uploads: { downloadExpirySeconds: 5 } },
      'uploads.downloadExpirySeconds: must be at least 60 seconds',
    ],
    [
      'no content types',
      'dev',
      { uploads: { allowedContentTypes: [] } },
      'uploads.allowedContentTypes: needs at least one content type',
    ],
    [
      'malformed content type',
      'dev',
      { uploads: { allowedContentTypes: ['PDF'] } },
      'uploads.allowedContentTypes.0: must be a lower-case MIME type',
    ],
    [
      'key user that is not an IAM ARN',
      'dev',
      { additionalKeyUserArns: ['alice'] },
      'additionalKeyUserArns.0: must be an IAM role or user ARN',
    ],
    [
      'alarm email that is not one',
      'dev',
      { alarms: { emailSubscriptions: ['ops'] } },
      'alarms.emailSubscriptions.0: must be an email address',
    ],
    [
      'plain http alarm endpoint',
      'dev',
      { alarms: { httpsSubscriptions: ['http://hooks.example.com/x'] } },
      'alarms.httpsSubscriptions.0: must be an https:// URL',
    ],
    [
      'object lock with auto-delete',
      'dev',
      { lifecycle: { backups: { objectLockRetentionDays: 10 } } },
      'lifecycle.backups.objectLockRetentionDays: cannot be set with autoDeleteObjects',
    ],
    [
      'object lock beyond expiry',
      'prod',
      { lifecycle: { backups: { objectLockRetentionDays: 100 } } },
      'lifecycle.backups.objectLockRetentionDays: must not exceed backups.expirationDays (90)',
    ],
    [
      'http JWT issuer in prod',
      'prod',
      { intake: { jwt: { issuerUrl: 'http://auth.stowage.example.com' } } },
      'intake.jwt.issuerUrl: must be an https:// URL in prod (got "http://auth.stowage.example.com")',
    ],
    [
      'JWT issuer that is not a URL',
      'dev',
      { intake: { jwt: { issuerUrl: 'auth' } } },
      'intake.jwt.issuerUrl: must be an http(s):// URL (got "auth")',
    ],
    [
      'no JWT audience',
      'dev',
      { intake: { jwt: { audiences: [] } } },
      'intake.jwt.audiences: needs at least one audience',
    ],
    [
      'clamd address without a port',
      'dev',
      { intake: { clamdAddress: 'clamd.internal' } },
      'intake.clamdAddress: must be host:port such as clamd.internal:3310 (got "clamd.internal")',
    ],
    [
      'clamd port out of range',
      'dev',
      { intake: { clamdAddress: 'clamd:70000' } },
      'intake.clamdAddress: port must be at most 65535',
    ],
    [
      'unknown inconclusive policy',
      'dev',
      { intake: { guardDuty: { inconclusiveVerdict: 'CLEAN' as 'ERROR' } } },
      'intake.guardDuty.inconclusiveVerdict: Invalid option',
    ],
    [
      'handler timeout beyond the Lambda maximum',
      'dev',
      { intake: { handlers: { process: { timeoutSeconds: 1000 } } } },
      'intake.handlers.process.timeoutSeconds: must be at most 900 seconds (got 1000)',
    ],
    [
      'handler memory below the Lambda minimum',
      'dev',
      { intake: { handlers: { api: { memoryMb: 64 } } } },
      'intake.handlers.api.memoryMb: must be at least 128 MB (got 64)',
    ],
    [
      'queue handler concurrency below the SQS event source minimum',
      'dev',
      { intake: { handlers: { quarantine: { reservedConcurrency: 1 } } } },
      'intake.handlers.quarantine.reservedConcurrency: must be at least 2 (SQS event sources scale from 2)',
    ],
    [
      'batch size SQS does not allow with partial batch responses',
      'dev',
      { intake: { handlers: { scan: { batchSize: 11 } } } },
      'intake.handlers.scan.batchSize: must be at most 10 (got 11)',
    ],
    [
      'scan timeout too short for the upload cap',
      'dev',
      { uploads: { maxSizeBytes: 5 * 1024 ** 3 }, intake: { handlers: { scan: { timeoutSeconds: 60 } } } },
      'intake.handlers.scan.timeoutSeconds: too short to scan a batch of 5 uploads of uploads.maxSizeBytes at ~60 MiB/s: needs at least 534 seconds',
    ],
    [
      'DLQ that never receives',
      'dev',
      { intake: { dlqMaxReceiveCount: 0 } },
      'intake.dlqMaxReceiveCount: must be at least 1 (got 0)',
    ],
    [
      'zero status retention',
      'dev',
      { intake: { statusRetentionDays: 0 } },
      'intake.statusRetentionDays: must be at least 1 day (got 0)',
    ],
    [
      'a backup source name outside the key layout',
      'dev',
      { backups: { sources: [source({ name: 'Main_DB' })] } },
      'backups.sources.0.name: must be 1-63 lower-case letters, digits and dashes, starting with a letter or digit (got "Main_DB")',
    ],
    [
      'an unknown backup format',
      'dev',
      { backups: { sources: [source({ format: 'zip' as 'raw' })] } },
      'backups.sources.0.format: Invalid option',
    ],
    [
      'duplicate backup source names',
      'dev',
      { backups: { sources: [source(), source({ format: 'raw' }), source({ name: 'other' })] } },
      'backups.sources.1.name: duplicates backups.sources.0.name: source names must be unique (got "main-db")',
    ],
    [
      'no backup sources',
      'dev',
      { backups: { sources: [] } },
      'backups.sources: needs at least one source (the verifier checks each)',
    ],
    [
      'a zero-byte backup floor',
      'dev',
      { backups: { sources: [source({ minBytes: 0 })] } },
      'backups.sources.0.minBytes: must be at least 1 byte (got 0)',
    ],
    [
      'a backup age limit of zero hours',
      'dev',
      { backups: { sources: [source({ maxAgeHours: 0 })] } },
      'backups.sources.0.maxAgeHours: must be at least 1 hour (got 0)',
    ],
    [
      'a size drop above 100 %',
      'dev',
      { backups: { sources: [source({ maxDropPercent: 120 })] } },
      'backups.sources.0.maxDropPercent: must be between 0 and 100 (got 120)',
    ],
    [
      'a verify schedule that is not a cron expression',
      'dev',
      { backups: { verifySchedule: 'rate(1 day)' } },
      'backups.verifySchedule: must be a cron expression such as cron(0 4 * * ? *) (minutes hours day-of-month month day-of-week year): wrap the six fields in cron(…) (got "rate(1 day)")',
    ],
    [
      'a five-field (Unix) cron expression',
      'dev',
      { backups: { verifySchedule: 'cron(0 4 * * *)' } },
      'backups.verifySchedule: must be a cron expression such as cron(0 4 * * ? *) (minutes hours day-of-month month day-of-week year): expected 6 fields, found 5',
    ],
    [
      'an hour out of range',
      'dev',
      { backups: { verifySchedule: 'cron(0 24 * * ? *)' } },
      "backups.verifySchedule: must be a cron expression such as cron(0 4 * * ? *) (minutes hours day-of-month month day-of-week year): hours '24': '24' is not a value from 0 to 23",
    ],
    [
      'both day fields set',
      'dev',
      { backups: { verifySchedule: 'cron(0 4 * * * *)' } },
      'exactly one of day-of-month and day-of-week must be ?',
    ],
    [
      'a verifier timeout beyond the Lambda maximum',
      'dev',
      { backups: { verifier: { timeoutSeconds: 901 } } },
      'backups.verifier.timeoutSeconds: must be at most 900 seconds (got 901)',
    ],
    [
      'parallel verifier runs',
      'dev',
      { backups: { verifier: { reservedConcurrency: 3 } } },
      'backups.verifier.reservedConcurrency: must be at most 2 (verification runs are not parallelised) (got 3)',
    ],
    [
      'a backup writer that is not an IAM ARN',
      'dev',
      { backups: { writerPrincipalArns: ['ci-backups'] } },
      'backups.writerPrincipalArns.0: must be an IAM role or user ARN (got "ci-backups")',
    ],
    [
      'required replication without replication',
      'staging',
      { backups: { requireReplication: true } },
      'backups.requireReplication: can only be true when replication.enabled is true (nothing would ever replicate) (got true)',
    ],
    [
      'unchecked backup replication in prod',
      'prod',
      { backups: { requireReplication: false } },
      'backups.requireReplication: must be true in prod (every backup must reach the replica region) (got false)',
    ],
  ])('rejects %s', (_what, env, overrides, expected) => {
    // Act
    const message = problemsOf(env, overrides);
    // Assert
    expect(message).toContain(`Invalid Stowage configuration for env '${env}':`);
    expect(message).toContain(expected);
  });

  it('names every bad field in one message', () => {
    // Arrange
    const overrides: DeepPartial<StowageConfig> = {
      cors: { allowedOrigins: ['*'] },
      replication: { replicaRegion: 'eu-west-1' },
      lifecycle: { uploads: { expirationDays: -5 } },
      removalPolicy: 'destroy',
    };
    // Act
    const message = problemsOf('prod', overrides);
    // Assert
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining('cors.allowedOrigins.0:'),
        expect.stringContaining('replication.replicaRegion:'),
        expect.stringContaining('lifecycle.uploads.expirationDays:'),
        expect.stringContaining('removalPolicy:'),
      ]),
    );
    expect(lines).toHaveLength(4);
  });
});
