import type { S3Client } from '@aws-sdk/client-s3';

import { isObjectMissing } from '../../aws/s3-errors';
import { BACKUPS_PREFIX } from '../backup-layout';
import type { BackupSourceConfig } from '../backup-source';
import type { BackupDecryptor } from './backup-decryptor';
import { isFutureDated, listBackups, type ListedBackup } from './backup-listing';
import { headBackup, type BackupObject } from './backup-object';
import { verifyContent } from './content-verification';
import { withDigestManifest } from './digest-manifest-read';
import { checkEncryptionAtRest } from './encryption-check';
import { ageHours, checkFreshness } from './freshness-check';
import { readObjectInOrder, type RangedReadOptions } from './ranged-object-reader';
import { checkReplication } from './replication-check';
import { checkSize, SIZE_HISTORY } from './size-check';
import { isArchived } from './storage-class';
import {
  failed,
  passed,
  skipped,
  statusOfChecks,
  type CheckResult,
  type SourceReport,
  type SourceStatus,
} from './verification-report';
import { describeVerifyError } from './error-message';

/** What verifying a source needs: clients and settings, passed in (no environment reads). */
export interface SourceVerifierDependencies {
  readonly s3: S3Client;
  /** The backups bucket. */
  readonly bucket: string;
  /** Every backup must be SSE-KMS encrypted under this key. Unset: the key is not checked. */
  readonly backupsKeyArn?: string;
  /** Backups must show replication status COMPLETED (prod). */
  readonly requireReplication: boolean;
  /** Opens KMS-encrypted backups for the content checks. */
  readonly decryptor?: BackupDecryptor;
  /** Opens passphrase-encrypted backups (`stowage backup verify --passphrase-env`); absent in the handler. */
  readonly passphraseDecryptor?: BackupDecryptor;
  /** Ranged GET sizing for large objects. */
  readonly reads?: RangedReadOptions;
}

/** What is known so far about a source, so a verification that throws half-way still reports it. */
export interface SourceProgress {
  key?: string;
  versionId?: string;
  takenAt?: string;
  ageHours?: number;
  sizeBytes?: number;
  readonly checks: CheckResult[];
  ignoredKeys?: { readonly count: number; readonly examples: readonly string[] };
}

/**
 * Verifies the newest backup of one source at `at`: presence, freshness, size against the previous backups,
 * encryption at rest, replication (when required), then its content unless it is archived. Fills `progress` as
 * it goes; S3, KMS and read failures are thrown (the caller records them and carries on with other sources).
 */
export async function verifySource(
  deps: SourceVerifierDependencies,
  source: BackupSourceConfig,
  at: Date,
  progress: SourceProgress = { checks: [] },
): Promise<SourceReport> {
  const listing = await listBackups(deps.s3, deps.bucket, source.name, at, SIZE_HISTORY);
  if (listing.ignored.count > 0) progress.ignoredKeys = listing.ignored;
  const { newest } = listing;
  if (!newest) {
    progress.checks.push(
      failed(
        'present',
        `no backup under ${BACKUPS_PREFIX}${source.name}/ taken at or before ${at.toISOString()}`,
      ),
    );
    return reportOf(source, 'missing', progress);
  }

  const head = await headBackup(deps.s3, deps.bucket, newest.key);
  const manifest = await withDigestManifest(deps.s3, deps.bucket, head);
  const object = 'object' in manifest ? manifest.object : head;
  const age = ageHours(newest.takenAt, at);
  Object.assign(progress, {
    key: newest.key,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    takenAt: newest.takenAt.toISOString(),
    ageHours: age,
    sizeBytes: object.storedBytes,
  });
  progress.checks.push(passed('present', newest.key));
  if (isFutureDated(newest)) progress.checks.push(futureDated(newest));
  progress.checks.push(checkFreshness(age, source.maxAgeHours));
  const size = {
    storedBytes: object.storedBytes,
    ...(object.declaredBytes !== undefined ? { declaredBytes: object.declaredBytes } : {}),
    encrypted: object.encryption.kind !== 'none',
  };
  progress.checks.push(checkSize(size, await historySizes(deps, listing.previous), source));
  progress.checks.push(checkEncryptionAtRest(object, deps.backupsKeyArn));
  if (deps.requireReplication) progress.checks.push(checkReplication(object, age));

  if ('problem' in manifest) {
    progress.checks.push(
      failed('checksum', manifest.problem),
      skipped('format', 'no digests to check the content against'),
    );
    return reportOf(source, 'failed', progress);
  }

  if (isArchived(object)) {
    progress.checks.push(
      passed('storage-class', `${object.storageClass}, not restored`),
      skipped('checksum', `archived in ${object.storageClass}`),
      skipped('format', `archived in ${object.storageClass}`),
    );
    const anyFailed = progress.checks.some((check) => !check.ok);
    return reportOf(source, anyFailed ? 'failed' : 'archived', progress);
  }

  const content = await verifyContent({
    stored: readObjectInOrder(deps.s3, targetOf(deps.bucket, object), deps.reads),
    object,
    format: source.format,
    ...(deps.decryptor ? { decryptor: deps.decryptor } : {}),
    ...(deps.passphraseDecryptor ? { passphraseDecryptor: deps.passphraseDecryptor } : {}),
  });
  progress.checks.push(...content.checks);
  const status: SourceStatus = statusOfChecks(progress.checks);
  return { ...reportOf(source, status, progress), ...(content.summary ? { content: content.summary } : {}) };
}

/** The report of a source whose verification threw: `failed`, with what was learned before the error. */
export function errorReport(
  source: BackupSourceConfig,
  progress: SourceProgress,
  error: unknown,
): SourceReport {
  return { ...reportOf(source, 'failed', progress), error: describeVerifyError(error) };
}

function reportOf(source: BackupSourceConfig, status: SourceStatus, progress: SourceProgress): SourceReport {
  return {
    source: source.name,
    format: source.format,
    status,
    ...(progress.key !== undefined ? { key: progress.key } : {}),
    ...(progress.versionId !== undefined ? { versionId: progress.versionId } : {}),
    ...(progress.takenAt !== undefined ? { takenAt: progress.takenAt } : {}),
    ...(progress.ageHours !== undefined ? { ageHours: progress.ageHours } : {}),
    ...(progress.sizeBytes !== undefined ? { sizeBytes: progress.sizeBytes } : {}),
    checks: [...progress.checks],
    ...(progress.ignoredKeys ? { ignoredKeys: progress.ignoredKeys } : {}),
    ...(source.contentChecks === 'optional' ? { contentChecks: 'optional' as const } : {}),
  };
}

/** The newest backup's key claims a time after the server stored it (a wrong clock, a hand-made key). */
function futureDated(backup: ListedBackup): CheckResult {
  const ahead = ageHours(backup.storedAt!, backup.takenAt);
  return failed(
    'timestamp',
    `dated in the future: the key says ${backup.takenAt.toISOString()}, ${ahead} h after the server stored it ` +
      `(${backup.storedAt!.toISOString()}); check the clock of the machine that pushed it`,
  );
}

/** Stored sizes (Content-Length) of the earlier backups (one that vanished since the listing is left out). */
async function historySizes(
  deps: SourceVerifierDependencies,
  previous: readonly ListedBackup[],
): Promise<number[]> {
  const sizes = await Promise.all(
    previous.map(async (backup) => {
      try {
        return (await headBackup(deps.s3, deps.bucket, backup.key)).storedBytes;
      } catch (error) {
        if (isObjectMissing(error)) return undefined;
        throw error;
      }
    }),
  );
  return sizes.filter((size): size is number => size !== undefined);
}

function targetOf(bucket: string, object: BackupObject) {
  return {
    bucket,
    key: object.key,
    size: object.storedBytes,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(object.etag ? { etag: object.etag } : {}),
  };
}
