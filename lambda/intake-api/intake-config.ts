/**
 * Bounds of a presigned POST's lifetime, in seconds. A form is accepted again and again until it expires (each POST
 * a new object version, quarantined as `form-reused`), so it lives what a browser needs to start the upload and no
 * longer. Checked by the env config (lib/config/schema/intake.ts) and by the handler's environment parser.
 */
export const PRESIGN_EXPIRY_BOUNDS = { min: 60, max: 900 } as const;

/**
 * Bounds of a presigned download URL's lifetime, in seconds: long enough for a browser or an app to start the GET,
 * short enough that a leaked link (a log, a shared screen) is soon useless. Checked by the env config
 * (lib/config/schema/intake.ts) and by the handler's environment parser.
 */
export const DOWNLOAD_EXPIRY_BOUNDS = { min: 60, max: 3600 } as const;

/** What the intake API core needs to know, from the handler environment (Lambda) or local mode's own config. */
export interface IntakeConfig {
  /** The uploads bucket. */
  readonly uploadsBucket: string;
  /** Id or ARN of the uploads bucket's KMS key, named in every presigned POST. */
  readonly uploadsKeyId: string;
  /** Largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** Exact, lower-case content types accepted; each must have a key extension (content-types.ts). */
  readonly allowedContentTypes: readonly string[];
  /** Lifetime of a presigned POST, in seconds (within PRESIGN_EXPIRY_BOUNDS). */
  readonly presignExpirySeconds: number;
  /** The processed bucket: `GET /uploads/{uploadId}/download` presigns reads of its objects. */
  readonly processedBucket: string;
  /** Lifetime of a presigned download URL, in seconds (within DOWNLOAD_EXPIRY_BOUNDS). */
  readonly downloadExpirySeconds: number;
}
