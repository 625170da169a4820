import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { httpStatusOf, isMissingCredentials, isServiceError } from '../../../core/aws/aws-errors';
import { CREDENTIALS_HINT, describeError, errorCode } from '../../shared/service-error';
import { fail, pass, type CheckResult, type DoctorContext } from './check';
import { KeyAliasError, type KeyAliasResolver } from './key-aliases';

export const WRITE_CHECK_NAME = 'backups: write, read and delete under test/';

export interface WriteCheckOptions {
  /** The backups bucket. Required. */
  readonly bucket: string;
  /** SSE-KMS key to write with (--kms-key-id). Default: alias/stowage/<env>/backups's ARN (its name on an endpoint). */
  readonly kmsKeyId?: string;
}

/**
 * Writes a small random object under `test/doctor/` in the backups bucket with SSE-KMS under the env's backups key,
 * reads it back (same bytes, SSE-KMS under that key), deletes it and checks it is gone. Whatever fails, the object is
 * deleted if it was written. Object Lock (prod backups) keeps the version: then a delete marker hides it and the
 * `test/` lifecycle expires it.
 */
export async function writeReadDeleteCheck(
  ctx: DoctorContext,
  keys: KeyAliasResolver,
  options: WriteCheckOptions,
): Promise<CheckResult> {
  const name = WRITE_CHECK_NAME;
  const { bucket } = options;
  const alias = keys.alias('backups');
  let keyId: string;
  if (options.kmsKeyId !== undefined) keyId = options.kmsKeyId;
  else if (ctx.endpoint) keyId = alias;
  else {
    try {
      // The bucket policy accepts SSE-KMS only under the key's ARN (an alias is refused): resolve it first.
      keyId = (await keys.resolve('backups')).arn;
    } catch (error) {
      if (error instanceof KeyAliasError) return fail(name, error.message, error.hint);
      throw error;
    }
  }
  const key = `test/doctor/${ctx.now().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.txt`;
  const body = `stowage doctor ${randomBytes(16).toString('hex')}\n`;
  const where = `s3://${bucket}/${key}`;

  let versionId: string | undefined;
  try {
    const put = await ctx.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'text/plain',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyId,
        BucketKeyEnabled: true,
      }),
    );
    versionId = put.VersionId;
  } catch (error) {
    return writeFailure(
      ctx,
      name,
      `PutObject ${where} with SSE-KMS under ${keyId}`,
      error,
      alias,
      'kms:GenerateDataKey',
    );
  }

  // Read back and compare; whatever happens, the object is deleted afterwards.
  let failure: CheckResult | undefined;
  let unexpected: unknown;
  let lockedUntil: Date | undefined;
  try {
    const got = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    const text = got.Body ? await got.Body.transformToString() : '';
    lockedUntil = got.ObjectLockMode ? (got.ObjectLockRetainUntilDate ?? new Date(0)) : undefined;
    if (text !== body) {
      failure = fail(
        name,
        `read back ${text.length} bytes from ${where} that differ from the ${body.length} written`,
        'check the server and any proxy in between',
      );
    } else if (
      got.ServerSideEncryption !== 'aws:kms' ||
      (got.SSEKMSKeyId !== undefined && !sameKey(got.SSEKMSKeyId, keyId))
    ) {
      failure = fail(
        name,
        `${where} was stored with ${got.ServerSideEncryption ?? 'no SSE'} under ${got.SSEKMSKeyId ?? 'no key'}, ` +
          `expected SSE-KMS under ${keyId}`,
        'the server ignored the requested encryption: check its SSE-KMS setup',
      );
    }
  } catch (error) {
    if (isServiceError(error) || isMissingCredentials(error)) {
      failure = writeFailure(ctx, name, `GetObject ${where}`, error, alias, 'kms:Decrypt');
    } else {
      unexpected = error;
    }
  }

  let deleteError: unknown;
  try {
    // Delete the version written (nothing left behind); under Object Lock only a delete marker is allowed.
    await ctx.s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: lockedUntil ? undefined : versionId }),
    );
  } catch (error) {
    deleteError = error;
  }
  if (unexpected !== undefined) throw unexpected;
  if (failure) {
    return deleteError === undefined
      ? failure
      : { ...failure, detail: `${failure.detail}; deleting it failed too: ${describeError(deleteError)}` };
  }
  if (deleteError !== undefined) {
    return writeFailure(ctx, name, `DeleteObject ${where}`, deleteError, alias, 's3:DeleteObject');
  }
  try {
    await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return fail(
      name,
      `${where} is still there after DeleteObject`,
      'check the bucket policy and Object Lock settings',
    );
  } catch (error) {
    if (!(isServiceError(error) && httpStatusOf(error) === 404)) {
      return writeFailure(ctx, name, `HeadObject ${where} after the delete`, error, alias, 's3:GetObject');
    }
  }
  const locked = lockedUntil
    ? ` (Object Lock keeps the version until ${lockedUntil.toISOString()}; the test/ lifecycle expires it)`
    : '';
  return pass(name, `wrote, read back and deleted ${where} with SSE-KMS under ${keyId}${locked}`);
}

function sameKey(stored: string, requested: string): boolean {
  if (stored === requested) return true;
  // AWS answers with the key ARN; a request by key id or ARN names the same key.
  return stored.endsWith(`/${requested}`) || requested.endsWith(`/${stored}`);
}

/** The FAIL for a failed step, with the hint for its cause: credentials, the key policy, or the bucket policy. */
function writeFailure(
  ctx: DoctorContext,
  name: string,
  step: string,
  error: unknown,
  alias: string,
  permission: string,
): CheckResult {
  if (isMissingCredentials(error)) return fail(name, `${step}: no AWS credentials found`, CREDENTIALS_HINT);
  if (!isServiceError(error)) throw error;
  const detail = `${step}: ${describeError(error)}`;
  const code = errorCode(error);
  const message = error.message ?? '';
  if (/kms/i.test(message) && (code === 'AccessDenied' || code.startsWith('KMS.'))) {
    return fail(
      name,
      detail,
      `KMS refused ${permission}: the key policy of ${alias} must let your principal use the key ` +
        `(roles named Stowage-${ctx.config.envName}-* and the config's additionalKeyUserArns), and your IAM policy must allow ${permission}`,
    );
  }
  if (ctx.endpoint && (code === 'InvalidAccessKeyId' || code === 'AccessDenied') && /key/i.test(message)) {
    return fail(
      name,
      detail,
      `the server has no SSE-KMS key by that id: pass --kms-key-id with one of its key ids`,
    );
  }
  if (code === 'AccessDenied' || httpStatusOf(error) === 403) {
    return fail(
      name,
      detail,
      `the bucket policy accepts only SSE-KMS under the backups key's ARN, and your principal needs ${permission === 'kms:GenerateDataKey' ? 's3:PutObject' : permission} ` +
        'on test/* (the backup writer role has it)',
    );
  }
  return fail(
    name,
    detail,
    ctx.endpoint ? `check that ${ctx.endpoint} is up` : 'check --region and the network',
  );
}
