/**
 * What the status record keeps of a processed upload's manifest (`<processed key>.manifest.json`), so its owner
 * sees it with `GET /uploads/{uploadId}` without a read of the processed bucket. The fields are the manifest's
 * own (same names, same values); its owner, source version, bucket names and full verdict stay in the manifest.
 */
export interface RecordedManifest {
  /** Lower-case hex SHA-256 of the processed bytes. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
  /** Content-Type declared at presign time. */
  readonly declaredType: string;
  /** The Content-Type the processed object carries: detected, else declared. */
  readonly detectedType: string;
  /** ISO 8601: when the upload landed. */
  readonly uploadedAt: string;
  /** ISO 8601: when it was processed. */
  readonly processedAt: string;
  /** Image dimensions and WAV audio facts, when a few ranged reads could tell them. */
  readonly media: {
    readonly image?: { readonly width: number; readonly height: number };
    readonly audio?: {
      readonly durationSeconds: number;
      readonly sampleRate: number;
      readonly channels: number;
      readonly bitsPerSample: number;
    };
  };
}

/**
 * The recorded part of a manifest: exactly the RecordedManifest fields of `manifest` (any object that has them,
 * the pipeline's UploadManifest included), copied, so nothing else of the manifest reaches the status record.
 */
export function recordedManifest(manifest: RecordedManifest): RecordedManifest {
  const { image, audio } = manifest.media;
  return {
    sha256: manifest.sha256,
    size: manifest.size,
    declaredType: manifest.declaredType,
    detectedType: manifest.detectedType,
    uploadedAt: manifest.uploadedAt,
    processedAt: manifest.processedAt,
    media: {
      ...(image ? { image: { width: image.width, height: image.height } } : {}),
      ...(audio
        ? {
            audio: {
              durationSeconds: audio.durationSeconds,
              sampleRate: audio.sampleRate,
              channels: audio.channels,
              bitsPerSample: audio.bitsPerSample,
            },
          }
        : {}),
    },
  };
}
