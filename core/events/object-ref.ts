/** Where an object event came from; each source encodes the object key differently. */
export type ObjectEventSource = 'aws:s3' | 'aws.s3' | 'ceph:s3' | 'aws.guardduty';

/** One object named by an event, with its key decoded exactly once. */
export interface ObjectRef {
  readonly bucket: string;
  /** The object key as stored in S3 (decoded). */
  readonly key: string;
  /** Version id when the event carries a non-empty one (Ceph RGW sends an empty string: undefined here). */
  readonly versionId?: string;
  readonly size?: number;
  readonly eTag?: string;
  readonly source: ObjectEventSource;
}
