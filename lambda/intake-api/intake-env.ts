import { z } from 'zod';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { extensionForContentType } from './content-types';
import { DOWNLOAD_EXPIRY_BOUNDS, PRESIGN_EXPIRY_BOUNDS, type IntakeConfig } from './intake-config';

/** Largest object a presigned POST can upload (5 GiB). */
export const PRESIGNED_POST_MAX_BYTES = 5 * 1024 ** 3;

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number between ${min} and ${max}`);

const contentTypeList = z
  .string()
  .transform((list) => list.split(',').map((type) => type.trim()))
  .superRefine((types, ctx) => {
    for (const type of types) {
      if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type)) {
        ctx.addIssue({
          code: 'custom',
          message: `'${type}' is not a lower-case MIME type such as application/pdf`,
        });
      } else if (!extensionForContentType(type)) {
        ctx.addIssue({ code: 'custom', message: `'${type}' has no key extension and cannot be accepted` });
      }
    }
  });

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');

const intakeEnvSchema = z.object({
  [HANDLER_ENV.UPLOADS_BUCKET]: bucketName,
  [HANDLER_ENV.PROCESSED_BUCKET]: bucketName,
  [HANDLER_ENV.UPLOADS_KEY_ARN]: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'must be a KMS key ARN'),
  [HANDLER_ENV.STATUS_TABLE]: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  [HANDLER_ENV.MAX_UPLOAD_BYTES]: wholeNumber(1, PRESIGNED_POST_MAX_BYTES),
  [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: contentTypeList,
  [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: wholeNumber(PRESIGN_EXPIRY_BOUNDS.min, PRESIGN_EXPIRY_BOUNDS.max),
  [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: wholeNumber(DOWNLOAD_EXPIRY_BOUNDS.min, DOWNLOAD_EXPIRY_BOUNDS.max),
  [HANDLER_ENV.STATUS_RETENTION_DAYS]: wholeNumber(1, 36_500).optional(),
  [HANDLER_ENV.ENV_NAME]: z.string().min(1).optional(),
});

/** The intake API handler's validated environment. */
export interface IntakeEnv {
  readonly config: IntakeConfig;
  readonly statusTable: string;
  /** Days status records are kept (DynamoDB TTL); unset: the store's default. */
  readonly statusRetentionDays?: number;
  /** Environment name for log attributes, when set. */
  readonly envName?: string;
}

/**
 * Reads and validates the intake API handler's environment, once, at cold start. Throws one error that names
 * every missing or invalid variable and the rule it breaks (never its value: none is secret, but none is needed).
 */
export function parseIntakeEnv(env: Readonly<Record<string, string | undefined>>): IntakeEnv {
  const parsed = intakeEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return env[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`;
    });
    throw new Error(`Invalid intake API environment: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  return {
    config: {
      uploadsBucket: values[HANDLER_ENV.UPLOADS_BUCKET],
      uploadsKeyId: values[HANDLER_ENV.UPLOADS_KEY_ARN],
      maxUploadBytes: values[HANDLER_ENV.MAX_UPLOAD_BYTES],
      allowedContentTypes: values[HANDLER_ENV.ALLOWED_CONTENT_TYPES],
      presignExpirySeconds: values[HANDLER_ENV.PRESIGN_EXPIRY_SECONDS],
      processedBucket: values[HANDLER_ENV.PROCESSED_BUCKET],
      downloadExpirySeconds: values[HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS],
    },
    statusTable: values[HANDLER_ENV.STATUS_TABLE],
    statusRetentionDays: values[HANDLER_ENV.STATUS_RETENTION_DAYS],
    envName: values[HANDLER_ENV.ENV_NAME],
  };
}
