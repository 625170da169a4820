/**
 * The rules of the environment config that span fields (zod checks one field at a time): replication, what prod must
 * have, bucket lifecycles, the scan timeout, backups, alarm ranges and the operations handler. Every broken rule
 * becomes one issue with the path of the field to change, reported with all the others.
 */
import type { z } from 'zod';

import type { ConfigFields } from '../schema';
import { SCAN_THROUGHPUT_BYTES_PER_SECOND, SCAN_TIME_BUDGET } from './intake';
import { MAX_ALARM_RANGE_SECONDS, MAX_SHORT_PERIOD_ALARM_RANGE_SECONDS } from './operations';

type Ctx = z.RefinementCtx<ConfigFields>;

/** Checks every cross-field rule, in this order (the issues come out in it). */
export function checkConfig(c: ConfigFields, ctx: Ctx): void {
  replicationRules(c, ctx);
  prodRules(c, ctx);
  bucketRules(c, ctx);
  scanTimeoutRule(c, ctx);
  backupRules(c, ctx);
  alarmRangeRules(c, ctx);
  operationsRules(c, ctx);
  testPrefixRule(c, ctx);
}

/** Replication: a replica region of its own, and the metrics RTC needs. */
function replicationRules(c: ConfigFields, ctx: Ctx): void {
  if (c.replication.replicaRegion === c.region) {
    ctx.addIssue({
      code: 'custom',
      path: ['replication', 'replicaRegion'],
      message: `must differ from the primary region (${c.region})`,
    });
  }
  if (c.replication.replicationTimeControl && !c.replication.metrics) {
    ctx.addIssue({
      code: 'custom',
      path: ['replication', 'metrics'],
      message: 'must be true when replicationTimeControl is on (S3 requires metrics for RTC)',
    });
  }
}

/** What prod must have: replication, retained resources, replicated backups, https issuer and origins. */
function prodRules(c: ConfigFields, ctx: Ctx): void {
  if (c.envName !== 'prod') return;
  if (!c.replication.enabled) {
    ctx.addIssue({ code: 'custom', path: ['replication', 'enabled'], message: 'must be true in prod' });
  }
  if (c.removalPolicy !== 'retain') {
    ctx.addIssue({ code: 'custom', path: ['removalPolicy'], message: "must be 'retain' in prod" });
  }
  if (!c.backups.requireReplication) {
    ctx.addIssue({
      code: 'custom',
      path: ['backups', 'requireReplication'],
      message: 'must be true in prod (every backup must reach the replica region)',
    });
  }
  if (!c.intake.jwt.issuerUrl.startsWith('https://')) {
    ctx.addIssue({
      code: 'custom',
      path: ['intake', 'jwt', 'issuerUrl'],
      message: 'must be an https:// URL in prod',
    });
  }
  c.cors.allowedOrigins.forEach((o, i) => {
    if (o === '*' || !o.startsWith('https://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['cors', 'allowedOrigins', i],
        message: `'${o}' is not allowed in prod: list explicit https:// origins`,
      });
    }
  });
}

/** Buckets: auto-delete only with destroy; archive tier and days set together, expiration after the transition. */
function bucketRules(c: ConfigFields, ctx: Ctx): void {
  if (c.autoDeleteObjects && c.removalPolicy !== 'destroy') {
    ctx.addIssue({
      code: 'custom',
      path: ['autoDeleteObjects'],
      message: "can only be true when removalPolicy is 'destroy'",
    });
  }
  const lifecycles = {
    uploads: c.lifecycle.uploads,
    processed: c.lifecycle.processed,
    quarantine: c.lifecycle.quarantine,
    backups: c.lifecycle.backups,
    accessLogs: c.lifecycle.accessLogs,
  };
  for (const [name, rule] of Object.entries(lifecycles)) {
    if ((rule.archiveAfterDays === undefined) !== (rule.archiveStorageClass === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [
          'lifecycle',
          name,
          rule.archiveAfterDays === undefined ? 'archiveAfterDays' : 'archiveStorageClass',
        ],
        message: 'archiveAfterDays and archiveStorageClass must be set together',
      });
    }
    if (rule.archiveAfterDays === undefined || rule.expirationDays === undefined) continue;
    // S3 rejects an expiration that does not come after the transition.
    if (rule.expirationDays <= rule.archiveAfterDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['lifecycle', name, 'expirationDays'],
        message: `must be after archiveAfterDays (${rule.archiveAfterDays})`,
      });
    }
  }
}

/** The scan timeout covers a batch of the largest uploads at the scan throughput. */
function scanTimeoutRule(c: ConfigFields, ctx: Ctx): void {
  const scan = c.intake.handlers.scan;
  const scanSeconds = (scan.batchSize * c.uploads.maxSizeBytes) / SCAN_THROUGHPUT_BYTES_PER_SECOND;
  if (scanSeconds > scan.timeoutSeconds * SCAN_TIME_BUDGET) {
    const needed = Math.ceil(scanSeconds / SCAN_TIME_BUDGET);
    ctx.addIssue({
      code: 'custom',
      path: ['intake', 'handlers', 'scan', 'timeoutSeconds'],
      message:
        `too short to scan a batch of ${scan.batchSize} uploads of uploads.maxSizeBytes at ~60 MiB/s: ` +
        `needs at least ${needed} seconds (or a smaller batchSize or maxSizeBytes)`,
    });
  }
}

/** Backups: unique source names, replication where it is required, an Object Lock the buckets can honour. */
function backupRules(c: ConfigFields, ctx: Ctx): void {
  const seen = new Map<string, number>();
  c.backups.sources.forEach((source, i) => {
    const first = seen.get(source.name);
    if (first === undefined) {
      seen.set(source.name, i);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: ['backups', 'sources', i, 'name'],
      message: `duplicates backups.sources.${first}.name: source names must be unique`,
    });
  });
  if (c.backups.requireReplication && !c.replication.enabled) {
    ctx.addIssue({
      code: 'custom',
      path: ['backups', 'requireReplication'],
      message: 'can only be true when replication.enabled is true (nothing would ever replicate)',
    });
  }
  const lockDays = c.lifecycle.backups.objectLockRetentionDays;
  if (lockDays !== undefined && c.autoDeleteObjects) {
    ctx.addIssue({
      code: 'custom',
      path: ['lifecycle', 'backups', 'objectLockRetentionDays'],
      message: 'cannot be set with autoDeleteObjects (locked versions cannot be deleted)',
    });
  }
  if (lockDays !== undefined && lockDays > (c.lifecycle.backups.expirationDays ?? Infinity)) {
    ctx.addIssue({
      code: 'custom',
      path: ['lifecycle', 'backups', 'objectLockRetentionDays'],
      message: `must not exceed backups.expirationDays (${c.lifecycle.backups.expirationDays})`,
    });
  }
}

/** Every alarm's evaluation range fits CloudWatch's limit. */
function alarmRangeRules(c: ConfigFields, ctx: Ctx): void {
  for (const name of [
    'handlers',
    'queues',
    'intakeQueueAge',
    'scanErrors',
    'api5xx',
    'replication',
  ] as const) {
    const { periodSeconds, evaluationPeriods } = c.alarms[name];
    const range = periodSeconds * evaluationPeriods;
    const limit = periodSeconds < 3600 ? MAX_SHORT_PERIOD_ALARM_RANGE_SECONDS : MAX_ALARM_RANGE_SECONDS;
    if (range > limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', name, 'evaluationPeriods'],
        message:
          `periodSeconds × evaluationPeriods is ${range} seconds; CloudWatch allows at most ${limit} ` +
          `(${periodSeconds < 3600 ? 'one day for periods under an hour' : 'seven days'})`,
      });
    }
  }
}

/** The operations handler outlives the re-verification it waits for. */
function operationsRules(c: ConfigFields, ctx: Ctx): void {
  if (c.operations.handler.timeoutSeconds < c.backups.verifier.timeoutSeconds) {
    ctx.addIssue({
      code: 'custom',
      path: ['operations', 'handler', 'timeoutSeconds'],
      message:
        `must be at least backups.verifier.timeoutSeconds (${c.backups.verifier.timeoutSeconds}): ` +
        'the handler waits for the re-verification it starts',
    });
  }
}

/** Test backups do not outlive real ones. */
function testPrefixRule(c: ConfigFields, ctx: Ctx): void {
  if (c.lifecycle.backups.testPrefixExpirationDays > (c.lifecycle.backups.expirationDays ?? Infinity)) {
    ctx.addIssue({
      code: 'custom',
      path: ['lifecycle', 'backups', 'testPrefixExpirationDays'],
      message: `must not exceed backups.expirationDays (${c.lifecycle.backups.expirationDays})`,
    });
  }
}
