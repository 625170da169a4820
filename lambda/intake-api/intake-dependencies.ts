import type { S3Client } from '@aws-sdk/client-s3';
import type { StatusStore } from '../../core/status/upload-status';
import type { ApiLogger } from './api-types';
import type { IntakeConfig } from './intake-config';

/** Everything the intake API core uses, passed in so Lambda, local mode and tests run the same core. */
export interface IntakeDependencies {
  readonly config: IntakeConfig;
  /** Signs presigned POSTs (no request is sent): its credentials and endpoint decide the POST's URL and signer. */
  readonly s3: S3Client;
  readonly statusStore: StatusStore;
  readonly logger: ApiLogger;
  /** Clock. Default: the system clock. */
  readonly now?: () => Date;
  /** Upload id generator. Default: crypto.randomUUID. */
  readonly newUploadId?: () => string;
}
