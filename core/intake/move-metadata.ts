import type { ScanResultDetail } from '../events/scan-result-event';

/**
 * User metadata of a copy in `quarantine` or `processed`: the source's own metadata (e.g. `upload-id`) plus the
 * verdict and where the copy came from. S3 metadata travels in HTTP headers, so values are kept ASCII: the source
 * key is URI-encoded (`source-key`), signature names are stripped of non-printable-ASCII characters.
 */
export function moveMetadata(
  original: Readonly<Record<string, string>>,
  detail: ScanResultDetail,
): Record<string, string> {
  const { verdict } = detail;
  return {
    ...original,
    'upload-id': detail.uploadId,
    'scan-status': verdict.status,
    'scan-engine': ascii(verdict.engine),
    ...(verdict.signature !== undefined ? { 'scan-signature': ascii(verdict.signature) } : {}),
    sha256: verdict.sha256,
    'source-bucket': detail.bucket,
    'source-key': encodeURIComponent(detail.key),
    'source-version-id': detail.versionId,
  };
}

function ascii(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '_').slice(0, 256);
}
