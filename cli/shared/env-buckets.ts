import { GetBucketTaggingCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EnvName } from '../../lib/config';
import {
  BUCKET_PURPOSE_TAG,
  BUCKET_PURPOSES,
  ENV_TAG,
  localBucketName,
  type BucketPurpose,
} from '../../lib/config/naming';
import { CommandFailure } from './command-io';
import { mapWithConcurrency } from './concurrency';
import { bucketEnvVar, bucketFlag } from './connection';
import { httpStatusOf, isMissingCredentials, isServiceError } from '../../core/aws/aws-errors';
import { CREDENTIALS_HINT, describeError, errorCode, isActionable } from './service-error';

export interface DiscoverBucketsOptions {
  /** The env whose buckets to find (`stowage:env` tag value). */
  readonly envName: EnvName;
  /** The purposes wanted. Default: all five. */
  readonly purposes?: readonly BucketPurpose[];
  /** Buckets named by flag or environment variable: they win over tags. Default: none. */
  readonly explicit?: Readonly<Partial<Record<BucketPurpose, string>>>;
  /** The client's region: buckets ListBuckets reports in another region are not the env's. Default: no filter. */
  readonly region?: string;
  /** GetBucketTagging calls in flight. Default 8. */
  readonly concurrency?: number;
}

/** An env's buckets by purpose, and why the others were not found. */
export interface BucketDiscovery {
  readonly buckets: Readonly<Partial<Record<BucketPurpose, string>>>;
  /** How each found bucket was named: by flag/variable or by its tags. */
  readonly foundBy: Readonly<Partial<Record<BucketPurpose, 'flag' | 'tags'>>>;
  /** Purposes not resolved: a message saying why and how to pass the bucket. */
  readonly problems: Readonly<Partial<Record<BucketPurpose, string>>>;
}

/** Error codes of GetBucketTagging that say "this bucket lives in another region". */
const OTHER_REGION_CODES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);

/**
 * Finds an env's buckets: explicit names win; the others are the buckets tagged `stowage:env=<env>` and
 * `stowage:bucket=<purpose>` (ListBuckets, then GetBucketTagging with bounded concurrency). Two buckets claiming
 * one purpose, or none, is a problem for that purpose, not a guess. A bucket whose tags cannot be read is named in
 * the problem of every purpose left unresolved, never silently passed over.
 */
export async function discoverEnvBuckets(
  s3: S3Client,
  options: DiscoverBucketsOptions,
): Promise<BucketDiscovery> {
  const purposes = options.purposes ?? BUCKET_PURPOSES;
  const buckets: Partial<Record<BucketPurpose, string>> = {};
  const foundBy: Partial<Record<BucketPurpose, 'flag' | 'tags'>> = {};
  const problems: Partial<Record<BucketPurpose, string>> = {};
  const wanted: BucketPurpose[] = [];
  for (const purpose of purposes) {
    const name = options.explicit?.[purpose];
    if (name !== undefined) {
      buckets[purpose] = name;
      foundBy[purpose] = 'flag';
    } else {
      wanted.push(purpose);
    }
  }
  if (wanted.length === 0) return { buckets, foundBy, problems };

  const names = await listBucketNames(s3, options.region);
  const tagged = await mapWithConcurrency(names, options.concurrency ?? 8, (name) =>
    readBucketTags(s3, name),
  );
  const unreadable = tagged.filter((t) => t.unreadable !== undefined);
  for (const purpose of wanted) {
    const claims = tagged
      .filter((t) => t.tags?.[ENV_TAG] === options.envName && t.tags[BUCKET_PURPOSE_TAG] === purpose)
      .map((t) => t.name);
    const passIt = `pass ${bucketFlag(purpose)} NAME or set ${bucketEnvVar(purpose)}`;
    if (claims.length === 1) {
      buckets[purpose] = claims[0]!;
      foundBy[purpose] = 'tags';
    } else if (claims.length > 1) {
      problems[purpose] =
        `buckets ${claims.join(' and ')} are both tagged ${ENV_TAG}=${options.envName}, ${BUCKET_PURPOSE_TAG}=${purpose}: ` +
        `remove the tags from the one that is not the env's, or ${passIt}`;
    } else {
      const local = localBucketName({ envName: options.envName }, purpose);
      const untaggedLocal = tagged.some((t) => t.name === local && t.unreadable === undefined)
        ? ` (bucket ${local} exists but lacks these tags: tag it, or pass ${bucketFlag(purpose)} ${local})`
        : '';
      const unread =
        unreadable.length > 0
          ? `; the tags of ${unreadable.map((t) => `${t.name} (${t.unreadable})`).join(', ')} could not be read`
          : '';
      problems[purpose] =
        `no ${purpose} bucket for env '${options.envName}': no bucket${options.region ? ` in ${options.region}` : ''} ` +
        `is tagged ${ENV_TAG}=${options.envName} and ${BUCKET_PURPOSE_TAG}=${purpose}${untaggedLocal}${unread}; ${passIt}`;
    }
  }
  return { buckets, foundBy, problems };
}

/** The discovered buckets of `purposes`, or one CommandFailure naming every purpose not found. */
export function requireBuckets<P extends BucketPurpose>(
  discovery: BucketDiscovery,
  purposes: readonly P[],
): Record<P, string> {
  const missing = purposes.filter((p) => discovery.buckets[p] === undefined);
  if (missing.length > 0) {
    throw new CommandFailure(missing.map((p) => discovery.problems[p] ?? `no ${p} bucket`).join('\n'));
  }
  return Object.fromEntries(purposes.map((p) => [p, discovery.buckets[p]!])) as Record<P, string>;
}

async function listBucketNames(s3: S3Client, region: string | undefined): Promise<string[]> {
  const names: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(new ListBucketsCommand({ MaxBuckets: 1000, ContinuationToken }));
    } catch (error) {
      if (!isActionable(error)) throw error;
      if (isMissingCredentials(error)) {
        throw new CommandFailure(`cannot list buckets: no AWS credentials found (${CREDENTIALS_HINT})`, {
          cause: error,
        });
      }
      throw new CommandFailure(
        `cannot list buckets to find the env's by their tags: ${describeError(error)}; ` +
          'pass every bucket with --<purpose>-bucket NAME (or STOWAGE_<PURPOSE>_BUCKET), or allow s3:ListAllMyBuckets',
        { cause: error },
      );
    }
    for (const bucket of page.Buckets ?? []) {
      if (!bucket.Name) continue;
      // ListBuckets with MaxBuckets reports each bucket's region on AWS; another region's buckets (replicas) are not
      // this env's primary buckets. S3-compatible servers leave it out.
      if (region !== undefined && bucket.BucketRegion !== undefined && bucket.BucketRegion !== region)
        continue;
      names.push(bucket.Name);
    }
    ContinuationToken = page.ContinuationToken;
  } while (ContinuationToken);
  return names;
}

interface TaggedBucket {
  readonly name: string;
  /** Undefined when the bucket has no tags, lives elsewhere or is gone. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Why the tags could not be read (AccessDenied, …). */
  readonly unreadable?: string;
}

async function readBucketTags(s3: S3Client, name: string): Promise<TaggedBucket> {
  try {
    const out = await s3.send(new GetBucketTaggingCommand({ Bucket: name }));
    return { name, tags: Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) };
  } catch (error) {
    if (!isServiceError(error)) throw error;
    const code = errorCode(error);
    if (code === 'NoSuchTagSet' || code === 'NoSuchBucket') return { name };
    if (OTHER_REGION_CODES.has(code) || httpStatusOf(error) === 301) return { name };
    return { name, unreadable: code };
  }
}
