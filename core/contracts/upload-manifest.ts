import type { RecordedVerdict, StatusRecord } from '../status/upload-status';
import type { MediaMetadata } from '../media/media-metadata';
import type { ObjectVersion } from '../intake/source-object';

/** The JSON manifest written beside each processed object (`<processed key>.manifest.json`). */
export interface UploadManifest {
  readonly manifestVersion: 1;
  readonly uploadId: string;
  readonly owner: string;
  readonly originalName: string;
  readonly size: number;
  readonly sha256: string;
  readonly declaredType: string;
  /** The Content-Type the processed object carries: detected, else declared. */
  readonly detectedType: string;
  readonly verdict: RecordedVerdict;
  readonly source: ObjectVersion;
  readonly processed: { readonly bucket: string; readonly key: string; readonly versionId?: string };
  /** ISO 8601: when the upload landed (source LastModified, else the record's createdAt). */
  readonly uploadedAt: string;
  /** ISO 8601. */
  readonly processedAt: string;
  readonly media: MediaMetadata;
}

export interface ManifestInput {
  readonly record: StatusRecord;
  readonly verdict: RecordedVerdict;
  readonly contentType: string;
  readonly source: ObjectVersion;
  readonly processed: UploadManifest['processed'];
  readonly uploadedAt: string;
  readonly processedAt: string;
  readonly media: MediaMetadata;
}

export function buildManifest(input: ManifestInput): UploadManifest {
  return {
    manifestVersion: 1,
    uploadId: input.record.uploadId,
    owner: input.record.owner,
    originalName: input.record.fileName,
    size: input.verdict.size,
    sha256: input.verdict.sha256,
    declaredType: input.record.contentType,
    detectedType: input.contentType,
    verdict: input.verdict,
    source: { bucket: input.source.bucket, key: input.source.key, versionId: input.source.versionId },
    processed: input.processed,
    uploadedAt: input.uploadedAt,
    processedAt: input.processedAt,
    media: input.media,
  };
}
