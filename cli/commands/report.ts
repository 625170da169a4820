import type { Command } from 'commander';
import type { S3Client } from '@aws-sdk/client-s3';
import { BUCKET_PURPOSES, type BucketPurpose } from '../../lib/config/naming';
import { TAG_KEYS } from '../../core/contracts/object-tags';
import { PROCESSED_PREFIX, QUARANTINE_PREFIX, UPLOADS_PREFIX } from '../../core/contracts/upload-key';
import { formatAge, formatBytes } from './backup/human-format';
import { listIncompleteUploads, type IncompleteUpload } from './backup/incomplete-uploads';
import { UsageError } from '../shared/usage-error';
import { createOpsClients } from '../shared/aws-clients';
import { clockOf, type CommandIo } from '../shared/command-io';
import { mapWithConcurrency } from '../shared/concurrency';
import { resolveConnection, withConnectionOptions, type ConnectionOptions } from '../shared/connection';
import { discoverEnvBuckets, requireBuckets } from '../shared/env-buckets';
import { runCommand } from '../shared/failures';
import { isManifestKey, ownerOf, quarantinedUploadId, topLevelPrefix } from '../shared/key-layout';
import { listObjectVersions, type ObjectVersionEntry } from '../shared/object-listing';
import { readObjectTags } from '../shared/object-tags';
import { renderTable } from '../shared/table';

export interface ReportOptions extends ConnectionOptions {
  /** One JSON document instead of tables. Default: tables. */
  readonly json?: boolean;
  /** Object tag lookups in flight. Default 16. */
  readonly concurrency?: string;
}

/** Objects and bytes. */
export interface UsageTotals {
  readonly objects: number;
  readonly bytes: number;
}

/** What one bucket holds. The breakdowns count current versions; noncurrent versions are totalled apart. */
export interface BucketUsage {
  readonly purpose: BucketPurpose;
  readonly bucket: string;
  readonly current: UsageTotals;
  /** Noncurrent versions (kept by versioning until the noncurrent-version lifecycle expires them). */
  readonly noncurrent: UsageTotals;
  readonly deleteMarkers: number;
  readonly byStorageClass: Readonly<Record<string, UsageTotals>>;
  readonly byPrefix: Readonly<Record<string, UsageTotals>>;
  /** By userId (uploads and processed only: the layouts with an owner segment). */
  readonly byOwner?: Readonly<Record<string, UsageTotals>>;
}

/** A quarantined object awaiting review. */
export interface QuarantinedObject {
  readonly key: string;
  readonly uploadId?: string;
  readonly size: number;
  readonly lastModified?: string;
  readonly ageSeconds?: number;
  /** `scan-status` tag (INFECTED or SUSPICIOUS). */
  readonly status?: string;
  /** `scan-signature` tag, when the engine named one. */
  readonly signature?: string;
  /** `scan-engine` tag. */
  readonly engine?: string;
}

/** The whole report, as `--json` prints it. */
export interface StowageReport {
  readonly env: string;
  readonly endpoint?: string;
  readonly generatedAt: string;
  readonly buckets: readonly BucketUsage[];
  readonly pipeline: {
    /** Objects in the uploads bucket under `uploads/` by their `scan-status` tag; untagged count as PENDING. */
    readonly uploadsByStatus: Readonly<Record<string, number>>;
    /** Processed objects (manifests not counted). */
    readonly processed: number;
    /** Objects in quarantine. */
    readonly quarantined: number;
  };
  readonly awaitingReview: readonly QuarantinedObject[];
  /** Multipart uploads started and never completed or aborted, in any bucket: stored and billed meanwhile. */
  readonly incompleteUploads: readonly IncompleteUpload[];
}

/** The statuses every report shows, zero or not (docs/architecture.md object tags). */
export const UPLOAD_STATUSES = ['PENDING', 'CLEAN', 'INFECTED', 'SUSPICIOUS', 'ERROR'] as const;

const DEFAULT_CONCURRENCY = 16;

/** Sums a bucket's listing into totals and breakdowns; feed it every version and delete marker. */
export class BucketUsageAggregator {
  private current = { objects: 0, bytes: 0 };
  private noncurrent = { objects: 0, bytes: 0 };
  private deleteMarkers = 0;
  private readonly byStorageClass = new Map<string, { objects: number; bytes: number }>();
  private readonly byPrefix = new Map<string, { objects: number; bytes: number }>();
  private readonly byOwner = new Map<string, { objects: number; bytes: number }>();

  constructor(
    readonly purpose: BucketPurpose,
    readonly bucket: string,
  ) {}

  add(entry: ObjectVersionEntry): void {
    if (entry.deleteMarker) {
      this.deleteMarkers += 1;
      return;
    }
    if (!entry.isLatest) {
      addTo(this.noncurrent, entry.size);
      return;
    }
    addTo(this.current, entry.size);
    addTo(bucketOf(this.byStorageClass, entry.storageClass), entry.size);
    addTo(bucketOf(this.byPrefix, topLevelPrefix(entry.key)), entry.size);
    const owner = ownerOf(this.purpose, entry.key);
    if (owner !== undefined) addTo(bucketOf(this.byOwner, owner), entry.size);
  }

  result(): BucketUsage {
    const hasOwners = this.purpose === 'uploads' || this.purpose === 'processed';
    return {
      purpose: this.purpose,
      bucket: this.bucket,
      current: { ...this.current },
      noncurrent: { ...this.noncurrent },
      deleteMarkers: this.deleteMarkers,
      byStorageClass: sortedRecord(this.byStorageClass),
      byPrefix: sortedRecord(this.byPrefix),
      ...(hasOwners ? { byOwner: sortedRecord(this.byOwner) } : {}),
    };
  }
}

function addTo(totals: { objects: number; bytes: number }, size: number): void {
  totals.objects += 1;
  totals.bytes += size;
}

function bucketOf(map: Map<string, { objects: number; bytes: number }>, name: string) {
  let totals = map.get(name);
  if (!totals) map.set(name, (totals = { objects: 0, bytes: 0 }));
  return totals;
}

function sortedRecord(map: Map<string, UsageTotals>): Record<string, UsageTotals> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** Counts uploads by their `scan-status` tag: no tag (or no tag set) is PENDING; unknown values count as they are. */
export function countUploadStatuses(
  tagSets: readonly (Readonly<Record<string, string>> | undefined)[],
): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(UPLOAD_STATUSES.map((s) => [s, 0]));
  for (const tags of tagSets) {
    const status = tags?.[TAG_KEYS.status] || 'PENDING';
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

export interface BuildReportOptions {
  readonly envName: string;
  readonly endpoint?: string;
  readonly now: Date;
  /** Tag lookups in flight. */
  readonly concurrency: number;
  /** Listing page size. Default: the server's. */
  readonly pageSize?: number;
}

/**
 * Lists every bucket (all versions, paginated), sums usage, and reads the tags of the current uploads (pipeline
 * status) and quarantined objects (verdict, signature) with bounded concurrency. An upload that vanishes between
 * the listing and its tag lookup was moved on by the pipeline and is not counted.
 */
export async function buildReport(
  s3: S3Client,
  buckets: Readonly<Record<BucketPurpose, string>>,
  options: BuildReportOptions,
): Promise<StowageReport> {
  const usages: BucketUsage[] = [];
  const uploads: ObjectVersionEntry[] = [];
  const quarantined: ObjectVersionEntry[] = [];
  let processed = 0;
  for (const purpose of BUCKET_PURPOSES) {
    const aggregator = new BucketUsageAggregator(purpose, buckets[purpose]);
    for await (const entry of listObjectVersions(s3, buckets[purpose], undefined, options.pageSize)) {
      aggregator.add(entry);
      if (!entry.isLatest || entry.deleteMarker) continue;
      if (purpose === 'uploads' && entry.key.startsWith(UPLOADS_PREFIX)) uploads.push(entry);
      if (purpose === 'processed' && entry.key.startsWith(PROCESSED_PREFIX) && !isManifestKey(entry.key))
        processed++;
      if (purpose === 'quarantine' && entry.key.startsWith(QUARANTINE_PREFIX)) quarantined.push(entry);
    }
    usages.push(aggregator.result());
  }

  const incompleteUploads: IncompleteUpload[] = [];
  for (const purpose of BUCKET_PURPOSES) {
    incompleteUploads.push(...(await listIncompleteUploads(s3, buckets[purpose], options.now)));
  }

  const uploadTags = await mapWithConcurrency(uploads, options.concurrency, (o) =>
    readObjectTags(s3, buckets.uploads, o.key, o.versionId),
  );
  const quarantineTags = await mapWithConcurrency(quarantined, options.concurrency, (o) =>
    readObjectTags(s3, buckets.quarantine, o.key, o.versionId),
  );
  const now = options.now.getTime();
  const awaitingReview: QuarantinedObject[] = [];
  quarantined.forEach((o, i) => {
    const tags = quarantineTags[i];
    if (tags === undefined) return; // released or deleted since the listing
    awaitingReview.push({
      key: o.key,
      uploadId: quarantinedUploadId(o.key),
      size: o.size,
      lastModified: o.lastModified?.toISOString(),
      ageSeconds: o.lastModified
        ? Math.max(0, Math.round((now - o.lastModified.getTime()) / 1000))
        : undefined,
      status: tags[TAG_KEYS.status],
      signature: tags[TAG_KEYS.signature],
      engine: tags[TAG_KEYS.engine],
    });
  });
  awaitingReview.sort((a, b) => (b.ageSeconds ?? 0) - (a.ageSeconds ?? 0));

  return {
    env: options.envName,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    generatedAt: options.now.toISOString(),
    buckets: usages,
    pipeline: {
      uploadsByStatus: countUploadStatuses(uploadTags.filter((t) => t !== undefined)),
      processed,
      quarantined: awaitingReview.length,
    },
    awaitingReview,
    incompleteUploads,
  };
}

/** The report as tables for a terminal. */
export function renderReport(report: StowageReport, now: Date): string[] {
  const lines: string[] = [
    `Stowage report for env ${report.env}${report.endpoint ? ` at ${report.endpoint}` : ''}, ${report.generatedAt}`,
    '',
  ];
  lines.push(
    ...renderTable(
      ['BUCKET', 'NAME', 'OBJECTS', 'SIZE', 'NONCURRENT', 'NONCURRENT SIZE', 'DELETE MARKERS'],
      report.buckets.map((b) => [
        b.purpose,
        b.bucket,
        String(b.current.objects),
        formatBytes(b.current.bytes),
        String(b.noncurrent.objects),
        formatBytes(b.noncurrent.bytes),
        String(b.deleteMarkers),
      ]),
      { rightAligned: [2, 3, 4, 5, 6] },
    ),
  );
  for (const b of report.buckets) {
    if (b.current.objects === 0) continue;
    lines.push('', `${b.purpose} (${b.bucket}), current objects:`);
    const breakdowns: [string, Readonly<Record<string, UsageTotals>> | undefined][] = [
      ['STORAGE CLASS', b.byStorageClass],
      ['PREFIX', b.byPrefix],
      ['OWNER', b.byOwner],
    ];
    for (const [title, totals] of breakdowns) {
      if (totals === undefined || Object.keys(totals).length === 0) continue;
      const rows = Object.entries(totals).map(([name, t]) => [name, String(t.objects), formatBytes(t.bytes)]);
      lines.push(
        ...renderTable([title, 'OBJECTS', 'SIZE'], rows, { rightAligned: [1, 2] }).map((l) => `  ${l}`),
      );
    }
  }
  const { uploadsByStatus, processed, quarantined } = report.pipeline;
  lines.push('', 'Uploads by pipeline status:');
  lines.push(
    ...renderTable(
      ['STATUS', 'COUNT'],
      [
        ...Object.entries(uploadsByStatus).map(([status, count]) => [`uploads ${status}`, String(count)]),
        ['processed', String(processed)],
        ['quarantined', String(quarantined)],
      ],
      { rightAligned: [1] },
    ).map((l) => `  ${l}`),
  );
  lines.push('', `Quarantined objects awaiting review: ${report.awaitingReview.length}`);
  if (report.awaitingReview.length > 0) {
    lines.push(
      ...renderTable(
        ['KEY', 'SIZE', 'AGE', 'STATUS', 'SIGNATURE'],
        report.awaitingReview.map((q) => [
          q.key,
          formatBytes(q.size),
          q.lastModified ? formatAge(new Date(q.lastModified), now) : '-',
          q.status ?? '-',
          q.signature ?? '-',
        ]),
        { rightAligned: [1] },
      ).map((l) => `  ${l}`),
    );
  }
  lines.push('', `Incomplete multipart uploads: ${report.incompleteUploads.length}`);
  if (report.incompleteUploads.length > 0) {
    lines.push(
      ...renderTable(
        ['BUCKET', 'KEY', 'UPLOAD ID', 'PARTS', 'SIZE', 'STARTED'],
        report.incompleteUploads.map((u) => [
          u.bucket,
          u.key,
          u.uploadId,
          String(u.parts),
          formatBytes(u.bytes),
          u.initiated ? formatAge(new Date(u.initiated), now) : '-',
        ]),
        { rightAligned: [3, 4] },
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** `stowage report [--env NAME] [--json]`: storage usage and the intake pipeline at a glance. */
export async function runReportCommand(options: ReportOptions, io: CommandIo): Promise<number> {
  const connection = resolveConnection(options, io.env);
  const concurrency = parseConcurrency(options.concurrency);
  return runCommand('report', io.err, async () => {
    const clients = (io.createClients ?? createOpsClients)(connection);
    try {
      const discovery = await discoverEnvBuckets(clients.s3, {
        envName: connection.config.envName,
        explicit: connection.explicitBuckets,
        region: connection.endpoint ? undefined : connection.region,
      });
      const buckets = requireBuckets(discovery, BUCKET_PURPOSES);
      const now = clockOf(io)();
      const report = await buildReport(clients.s3, buckets, {
        envName: connection.config.envName,
        endpoint: connection.endpoint,
        now,
        concurrency,
      });
      if (options.json) io.out(JSON.stringify(report, null, 2));
      else renderReport(report, now).forEach((line) => io.out(line));
      return 0;
    } finally {
      clients.destroy();
    }
  });
}

export function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 256, got '${value}'`);
  }
  return n;
}

/** Registers `stowage report` on the program; `io` is built once by the CLI from the process. */
export function registerReportCommand(program: Command, io: () => CommandIo): void {
  withConnectionOptions(program.command('report'))
    .summary('storage usage, uploads by pipeline status, quarantine awaiting review')
    .description(
      'Storage usage per bucket, storage class, prefix and owner; uploads by pipeline status; quarantined objects ' +
        'awaiting review. Exit 0 done, 1 failed, 2 usage.',
    )
    .option('--json', 'one JSON document instead of tables')
    .option('--concurrency <n>', `object tag lookups in flight (default ${DEFAULT_CONCURRENCY})`)
    .action(async (options: ReportOptions) => {
      process.exitCode = await runReportCommand(options, io());
    });
}
