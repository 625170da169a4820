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
  /** Lifetime of a presigned POST, in seconds. */
  readonly presignExpirySeconds: number;
}
