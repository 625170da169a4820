import type { LifecycleRule } from '@aws-sdk/client-s3';
import {
  compareLifecycle,
  deployedLifecycleActions,
  expectedLifecycleActions,
} from '../../../../cli/commands/doctor/lifecycle-expectations';
import { loadConfig } from '../../../../lib/config';

const dev = loadConfig('dev');

/** The backups rules as S3 returns them for the dev Storage stack (docs/architecture.md: Glacier 30, expire 90, test/ 7). */
const DEPLOYED_BACKUPS: LifecycleRule[] = [
  {
    ID: 'abort-incomplete-multipart-uploads',
    Status: 'Enabled',
    Filter: { Prefix: '' },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
  },
  {
    ID: 'expire-noncurrent-versions',
    Status: 'Enabled',
    Filter: {},
    NoncurrentVersionExpiration: { NoncurrentDays: 30 },
  },
  {
    ID: 'current-versions',
    Status: 'Enabled',
    Filter: { Prefix: '' },
    Transitions: [{ Days: 30, StorageClass: 'GLACIER' }],
    Expiration: { Days: 90 },
  },
  { ID: 'expire-test', Status: 'Enabled', Filter: { Prefix: 'test/' }, Expiration: { Days: 7 } },
];

describe('lifecycle expectations', () => {
  it('expects what the seed documents say for backups in dev', () => {
    expect(expectedLifecycleActions(dev, 'backups')).toEqual(
      [
        "'test/': expire current versions after 7 days",
        'all objects: abort incomplete multipart uploads after 7 days',
        'all objects: expire current versions after 90 days',
        'all objects: expire noncurrent versions after 30 days',
        'all objects: move current versions to GLACIER after 30 days',
      ].sort(),
    );
  });

  it('matches the deployed rules of the dev Storage stack', () => {
    const result = compareLifecycle(
      expectedLifecycleActions(dev, 'backups'),
      deployedLifecycleActions(DEPLOYED_BACKUPS),
    );
    expect(result).toEqual({ missing: [], extra: [] });
  });

  it('compares actions, not how rules are grouped or named (a single legacy-prefix rule works too)', () => {
    const oneRule: LifecycleRule[] = [
      {
        ID: 'everything',
        Status: 'Enabled',
        Prefix: '',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        Expiration: { Days: 30 },
      },
    ];
    expect(
      compareLifecycle(expectedLifecycleActions(dev, 'uploads'), deployedLifecycleActions(oneRule)),
    ).toEqual({
      missing: [],
      extra: [],
    });
  });

  it('shows a changed day count as one missing and one extra action, and ignores disabled rules', () => {
    const drifted = DEPLOYED_BACKUPS.map((r) =>
      r.ID === 'expire-test'
        ? { ...r, Expiration: { Days: 70 } }
        : r.ID === 'current-versions'
          ? { ...r, Status: 'Disabled' as const }
          : r,
    );
    const result = compareLifecycle(
      expectedLifecycleActions(dev, 'backups'),
      deployedLifecycleActions(drifted),
    );
    expect(result.missing).toEqual([
      "'test/': expire current versions after 7 days",
      'all objects: expire current versions after 90 days',
      'all objects: move current versions to GLACIER after 30 days',
    ]);
    expect(result.extra).toEqual(["'test/': expire current versions after 70 days"]);
  });

  it('names filters the config never sets, so such rules never pass for config ones', () => {
    const tagged: LifecycleRule[] = [
      {
        Status: 'Enabled',
        Filter: { And: { Prefix: 'x/', Tags: [{ Key: 'k', Value: 'v' }] } },
        Expiration: { Days: 1 },
      },
    ];
    expect(deployedLifecycleActions(tagged)).toEqual([
      "'x/' (tag k=v): expire current versions after 1 days",
    ]);
  });

  it('follows env overrides: prod archives processed to the configured tier', () => {
    const prod = loadConfig('prod', { overrides: { lifecycle: { processed: { archiveAfterDays: 60 } } } });
    expect(expectedLifecycleActions(prod, 'processed')).toContain(
      `all objects: move current versions to ${prod.lifecycle.processed.archiveStorageClass} after 60 days`,
    );
  });
});
