import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  type LifecycleRule,
  type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import { BUCKET_PURPOSE_TAG, ENV_TAG, type BucketPurpose } from '../../../lib/config/naming';
import type { BucketDiscovery } from '../../shared/env-buckets';
import { httpStatusOf, isMissingCredentials, isServiceError } from '../../../core/aws/aws-errors';
import { CREDENTIALS_HINT, describeError, errorCode } from '../../shared/service-error';
import { deployHint, fail, pass, skip, type CheckResult, type DoctorContext } from './check';
import { KeyAliasError, namesKey, type KeyAliasResolver } from './key-aliases';
import {
  compareLifecycle,
  deployedLifecycleActions,
  expectedLifecycleActions,
} from './lifecycle-expectations';

/** One result per purpose: the bucket found (and how), or why not. */
export function bucketsFoundChecks(
  discovery: BucketDiscovery,
  purposes: readonly BucketPurpose[],
  envName: string,
): CheckResult[] {
  return purposes.map((purpose) => {
    const name = `${purpose}: bucket found`;
    const bucket = discovery.buckets[purpose];
    if (bucket !== undefined) {
      return pass(
        name,
        discovery.foundBy[purpose] === 'flag'
          ? `${bucket} (named by flag or environment)`
          : `${bucket} (tagged ${ENV_TAG}=${envName}, ${BUCKET_PURPOSE_TAG}=${purpose})`,
      );
    }
    return fail(
      name,
      discovery.problems[purpose] ?? 'not found',
      'deploy the Storage stack, or name the bucket as said',
    );
  });
}

/** A service error the check reports as FAIL with a hint; undefined for anything else (rethrown). */
function s3Failure(
  ctx: DoctorContext,
  name: string,
  bucket: string,
  error: unknown,
  action: string,
): CheckResult | undefined {
  if (isMissingCredentials(error)) return fail(name, 'no AWS credentials found', CREDENTIALS_HINT);
  if (!isServiceError(error)) return undefined;
  const code = errorCode(error);
  if (code === 'AccessDenied' || httpStatusOf(error) === 403) {
    return fail(
      name,
      `${action} on ${bucket}: ${describeError(error)}`,
      `allow ${action} on ${bucket} for your principal`,
    );
  }
  return fail(name, `${action} on ${bucket}: ${describeError(error)}`, endpointOrRegionHint(ctx));
}

function endpointOrRegionHint(ctx: DoctorContext): string {
  return ctx.endpoint
    ? `check that ${ctx.endpoint} is up`
    : `check --region (${ctx.region}) and the bucket name`;
}

/** HeadBucket: the bucket exists and the caller may use it. */
export async function reachableCheck(
  ctx: DoctorContext,
  purpose: BucketPurpose,
  bucket: string,
): Promise<CheckResult> {
  const name = `${purpose}: reachable`;
  try {
    await ctx.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return pass(name, `HeadBucket ${bucket} answered`);
  } catch (error) {
    if (isMissingCredentials(error)) return fail(name, 'no AWS credentials found', CREDENTIALS_HINT);
    if (!isServiceError(error)) throw error;
    const status = httpStatusOf(error);
    const code = errorCode(error);
    if (status === 404 || code === 'NoSuchBucket' || code === 'NotFound') {
      return fail(
        name,
        `${bucket} does not exist (NoSuchBucket)`,
        ctx.endpoint
          ? `create it (stowage local creates the env's buckets) or name the right one with --${purpose}-bucket`
          : `check the name and --region, or deploy it: ${deployHint(ctx.config, 'Storage')}`,
      );
    }
    if (status === 403 || code === 'AccessDenied' || code === 'Forbidden') {
      return fail(
        name,
        `access to ${bucket} denied (403)`,
        `check your principal's IAM permissions (s3:ListBucket) and the bucket policy: Stowage buckets admit data ` +
          `access by the role tag stowage:access (e.g. stowage:access=${ctx.config.envName}:operations)`,
      );
    }
    if (status === 301 || status === 400) {
      return fail(
        name,
        `${bucket}: ${describeError(error)}`,
        `the bucket is in another region: pass --region`,
      );
    }
    return fail(name, `${bucket}: ${describeError(error)}`, endpointOrRegionHint(ctx));
  }
}

/**
 * Default encryption: SSE-KMS with a bucket key under `alias/stowage/<env>/<purpose>`; access-logs SSE-S3 (S3 log
 * delivery cannot write SSE-KMS). An S3-compatible server without bucket default encryption (Ceph RGW refuses
 * PutBucketEncryption) is SKIP.
 */
export async function encryptionCheck(
  ctx: DoctorContext,
  keys: KeyAliasResolver,
  purpose: BucketPurpose,
  bucket: string,
): Promise<CheckResult> {
  const name = `${purpose}: encryption`;
  let rules: ServerSideEncryptionRule[];
  try {
    const out = await ctx.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    rules = out.ServerSideEncryptionConfiguration?.Rules ?? [];
  } catch (error) {
    if (isServiceError(error) && errorCode(error) === 'ServerSideEncryptionConfigurationNotFoundError') {
      rules = [];
    } else {
      const failure = s3Failure(ctx, name, bucket, error, 's3:GetEncryptionConfiguration');
      if (failure) return failure;
      throw error;
    }
  }
  const rule = rules[0];
  const algorithm = rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  const keyRef = rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
  if (algorithm === undefined) {
    if (ctx.endpoint) {
      return skip(
        name,
        `S3-compatible endpoint: ${bucket} has no default encryption, which the server does not support ` +
          '(Ceph RGW refuses PutBucketEncryption); Stowage encrypts each object with SSE-KMS instead',
      );
    }
    return fail(
      name,
      `${bucket} has no default encryption`,
      `redeploy it: ${deployHint(ctx.config, 'Storage')}`,
    );
  }
  const fixHint = ctx.endpoint
    ? 'set the bucket default encryption the env config expects'
    : `redeploy it: ${deployHint(ctx.config, 'Storage')}`;
  if (purpose === 'access-logs') {
    return algorithm === 'AES256'
      ? pass(name, `${bucket}: SSE-S3 (AES256), the only encryption S3 server access log delivery can write`)
      : fail(
          name,
          `${bucket}: ${algorithm}, expected SSE-S3 (AES256): log delivery fails with SSE-KMS`,
          fixHint,
        );
  }
  const alias = keys.alias(purpose);
  if (algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
    return fail(name, `${bucket}: ${algorithm}, expected SSE-KMS under ${alias}`, fixHint);
  }
  if (ctx.endpoint) {
    return keyRef === alias
      ? pass(name, `${bucket}: SSE-KMS under ${alias}`)
      : skip(name, `S3-compatible endpoint: no KMS to tell whether key ${keyRef ?? '(default)'} is ${alias}`);
  }
  if (keyRef === undefined) {
    return fail(name, `${bucket}: SSE-KMS under the AWS managed key aws/s3, expected ${alias}`, fixHint);
  }
  let key;
  try {
    key = await keys.resolve(purpose);
  } catch (error) {
    if (error instanceof KeyAliasError) return fail(name, error.message, error.hint);
    throw error;
  }
  if (!namesKey(keyRef, key)) {
    return fail(name, `${bucket}: SSE-KMS under ${keyRef}, expected ${alias} (${key.arn})`, fixHint);
  }
  if (key.state !== 'Enabled') {
    return fail(
      name,
      `${bucket}: SSE-KMS under ${alias}, but the key is ${key.state}`,
      key.state === 'PendingDeletion'
        ? `aws kms cancel-key-deletion --key-id ${key.arn}, then aws kms enable-key`
        : `aws kms enable-key --key-id ${key.arn}`,
    );
  }
  if (rule?.BucketKeyEnabled !== true) {
    return fail(
      name,
      `${bucket}: SSE-KMS under ${alias} without a bucket key (every request calls KMS)`,
      fixHint,
    );
  }
  return pass(name, `${bucket}: SSE-KMS with a bucket key under ${alias} (${key.arn})`);
}

/** Versioning Enabled (every Stowage bucket is versioned). */
export async function versioningCheck(
  ctx: DoctorContext,
  purpose: BucketPurpose,
  bucket: string,
): Promise<CheckResult> {
  const name = `${purpose}: versioning`;
  try {
    const out = await ctx.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    if (out.Status === 'Enabled') return pass(name, `${bucket}: versioning Enabled`);
    return fail(
      name,
      `${bucket}: versioning ${out.Status ?? 'never enabled'}`,
      ctx.endpoint
        ? `aws s3api put-bucket-versioning --endpoint-url ${ctx.endpoint} --bucket ${bucket} --versioning-configuration Status=Enabled`
        : `redeploy it: ${deployHint(ctx.config, 'Storage')}`,
    );
  } catch (error) {
    const failure = s3Failure(ctx, name, bucket, error, 's3:GetBucketVersioning');
    if (failure) return failure;
    throw error;
  }
}

const PUBLIC_ACCESS_FLAGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;

/**
 * Block Public Access all on. On an S3-compatible server anything less is SKIP: Ceph RGW (Pacific) refuses every
 * PutObject once BlockPublicAcls is on, so local buckets cannot have it, and it does not enforce it as S3 does.
 */
export async function publicAccessBlockCheck(
  ctx: DoctorContext,
  purpose: BucketPurpose,
  bucket: string,
): Promise<CheckResult> {
  const name = `${purpose}: public access block`;
  let flags: Partial<Record<(typeof PUBLIC_ACCESS_FLAGS)[number], boolean>>;
  try {
    const out = await ctx.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    flags = out.PublicAccessBlockConfiguration ?? {};
  } catch (error) {
    const code = errorCode(error);
    if (isServiceError(error) && code === 'NoSuchPublicAccessBlockConfiguration') {
      flags = {};
    } else if (
      ctx.endpoint &&
      isServiceError(error) &&
      ['NotImplemented', 'MethodNotAllowed'].includes(code)
    ) {
      return skip(name, `S3-compatible endpoint does not support Block Public Access (${code})`);
    } else {
      const failure = s3Failure(ctx, name, bucket, error, 's3:GetBucketPublicAccessBlock');
      if (failure) return failure;
      throw error;
    }
  }
  const off = PUBLIC_ACCESS_FLAGS.filter((f) => flags[f] !== true);
  if (off.length === 0) return pass(name, `${bucket}: all four Block Public Access settings on`);
  if (ctx.endpoint) {
    return skip(
      name,
      `S3-compatible endpoint: ${off.join(', ')} off on ${bucket}; the server does not enforce Block Public Access as ` +
        'S3 does (Ceph RGW refuses every PutObject with BlockPublicAcls on)',
    );
  }
  return fail(name, `${bucket}: ${off.join(', ')} off`, `redeploy it: ${deployHint(ctx.config, 'Storage')}`);
}

/** Lifecycle rules as deployed against what the env's config makes the Storage stack set. */
export async function lifecycleCheck(
  ctx: DoctorContext,
  purpose: BucketPurpose,
  bucket: string,
): Promise<CheckResult> {
  const name = `${purpose}: lifecycle`;
  let rules: LifecycleRule[];
  try {
    const out = await ctx.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    rules = out.Rules ?? [];
  } catch (error) {
    if (isServiceError(error) && errorCode(error) === 'NoSuchLifecycleConfiguration') {
      rules = [];
    } else {
      const failure = s3Failure(ctx, name, bucket, error, 's3:GetLifecycleConfiguration');
      if (failure) return failure;
      throw error;
    }
  }
  const expected = expectedLifecycleActions(ctx.config, purpose);
  const { missing, extra } = compareLifecycle(expected, deployedLifecycleActions(rules));
  if (missing.length === 0 && extra.length === 0) {
    return pass(name, `${bucket}: ${expected.length} actions as configured (${expected.join('; ')})`);
  }
  const parts = [
    ...(missing.length > 0 ? [`missing: ${missing.join('; ')}`] : []),
    ...(extra.length > 0 ? [`not in the config: ${extra.join('; ')}`] : []),
  ];
  return fail(
    name,
    `${bucket}: ${parts.join(' | ')}`,
    ctx.endpoint
      ? `apply the env's lifecycle to ${bucket} (stowage local sets it from the same config)`
      : `redeploy it (the Storage stack sets the config's lifecycle): ${deployHint(ctx.config, 'Storage')}`,
  );
}
