import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { StowageConfig } from '../../../lib/config';
import type { BucketPurpose } from '../../../lib/config/naming';
import { bucketLifecycle, type LifecycleBucket } from '../../../lib/buckets/bucket-lifecycle';

/**
 * Lifecycle rules compared as what they do, not how they are grouped or named: each rule becomes one action line per
 * action (`'' abort incomplete multipart uploads after 7 days`), so the CDK's rules, local mode's and a hand-made
 * equivalent compare equal, and any missing, changed or extra action shows.
 */

const LIFECYCLE_KEYS: Readonly<Record<BucketPurpose, LifecycleBucket>> = {
  uploads: 'uploads',
  processed: 'processed',
  quarantine: 'quarantine',
  backups: 'backups',
  'access-logs': 'accessLogs',
};

function scope(prefix: string): string {
  return prefix === '' ? 'all objects' : `'${prefix}'`;
}

/** The actions the env's config gives a bucket (the same derivation the Storage stack uses: bucketLifecycle). */
export function expectedLifecycleActions(config: StowageConfig, purpose: BucketPurpose): string[] {
  const lc = bucketLifecycle(config, LIFECYCLE_KEYS[purpose]);
  const actions = [
    `${scope('')}: abort incomplete multipart uploads after ${lc.abortIncompleteMultipartUploadDays} days`,
    `${scope('')}: expire noncurrent versions after ${lc.noncurrentVersionExpirationDays} days`,
  ];
  if (lc.archiveAfterDays !== undefined && lc.archiveStorageClass !== undefined) {
    actions.push(
      `${scope('')}: move current versions to ${lc.archiveStorageClass} after ${lc.archiveAfterDays} days`,
    );
  }
  if (lc.expirationDays !== undefined) {
    actions.push(`${scope('')}: expire current versions after ${lc.expirationDays} days`);
  }
  for (const [prefix, days] of Object.entries(lc.prefixExpirationDays ?? {})) {
    actions.push(`${scope(prefix)}: expire current versions after ${days} days`);
  }
  return actions.sort();
}

/** The actions of deployed rules (enabled ones; a disabled rule does nothing). */
export function deployedLifecycleActions(rules: readonly LifecycleRule[]): string[] {
  const actions: string[] = [];
  for (const rule of rules) {
    if (rule.Status !== 'Enabled') continue;
    const filter = rule.Filter;
    const prefix = filter?.Prefix ?? filter?.And?.Prefix ?? rule.Prefix ?? '';
    const qualifiers = [
      ...(filter?.Tag ? [`tag ${filter.Tag.Key}=${filter.Tag.Value}`] : []),
      ...(filter?.And?.Tags ?? []).map((t) => `tag ${t.Key}=${t.Value}`),
      ...((filter?.ObjectSizeGreaterThan ?? filter?.And?.ObjectSizeGreaterThan)
        ? [`size > ${filter?.ObjectSizeGreaterThan ?? filter?.And?.ObjectSizeGreaterThan}`]
        : []),
      ...((filter?.ObjectSizeLessThan ?? filter?.And?.ObjectSizeLessThan)
        ? [`size < ${filter?.ObjectSizeLessThan ?? filter?.And?.ObjectSizeLessThan}`]
        : []),
    ];
    const where = `${scope(prefix)}${qualifiers.length > 0 ? ` (${qualifiers.join(', ')})` : ''}`;
    const add = (action: string) => actions.push(`${where}: ${action}`);
    if (rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined) {
      add(
        `abort incomplete multipart uploads after ${rule.AbortIncompleteMultipartUpload.DaysAfterInitiation} days`,
      );
    }
    const noncurrent = rule.NoncurrentVersionExpiration;
    if (noncurrent?.NoncurrentDays !== undefined) {
      const keep = noncurrent.NewerNoncurrentVersions
        ? ` keeping ${noncurrent.NewerNoncurrentVersions} newest`
        : '';
      add(`expire noncurrent versions after ${noncurrent.NoncurrentDays} days${keep}`);
    }
    for (const t of rule.NoncurrentVersionTransitions ?? []) {
      add(`move noncurrent versions to ${t.StorageClass} after ${t.NoncurrentDays} days`);
    }
    for (const t of rule.Transitions ?? []) {
      add(
        `move current versions to ${t.StorageClass} ${t.Date ? `on ${t.Date.toISOString()}` : `after ${t.Days} days`}`,
      );
    }
    const expiration = rule.Expiration;
    if (expiration?.Days !== undefined) add(`expire current versions after ${expiration.Days} days`);
    if (expiration?.Date !== undefined) add(`expire current versions on ${expiration.Date.toISOString()}`);
    if (expiration?.ExpiredObjectDeleteMarker) add('remove expired object delete markers');
  }
  return actions.sort();
}

/** Expected actions missing from the deployed ones, and deployed actions the config does not have (multisets). */
export function compareLifecycle(
  expected: readonly string[],
  deployed: readonly string[],
): { missing: string[]; extra: string[] } {
  const remaining = [...deployed];
  const missing: string[] = [];
  for (const action of expected) {
    const i = remaining.indexOf(action);
    if (i < 0) missing.push(action);
    else remaining.splice(i, 1);
  }
  return { missing, extra: remaining };
}
