import {
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type ObjectVersion,
  type S3Client,
} from '@aws-sdk/client-s3';

/** What a status record (or the owner's view of it) says about one upload: the fields an audit can check. */
export interface RecordClaim {
  readonly uploadId: string;
  /** `uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>`. */
  readonly uploadKey: string;
  readonly status: string;
  readonly verdictStatus?: string;
  /** The verdict's SHA-256 (the record's; the owner's view has none). */
  readonly verdictSha256?: string;
  /** The manifest's SHA-256 as recorded (processed only). */
  readonly manifestSha256?: string;
  readonly processedKey?: string;
  readonly quarantineKey?: string;
  /** The version the record is bound to (the record's; the owner's view has none). */
  readonly sourceVersionId?: string;
}

/** One stored copy of an upload version, in processed or quarantine. */
export interface StoredCopy {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  readonly sourceVersionId: string;
  readonly sha256: string;
  readonly scanStatus: string;
  readonly formReused: boolean;
}

export interface UploadAudit {
  /** Every disagreement between the record and storage, or with "one version, one final place"; empty when true. */
  readonly problems: string[];
  /** Versions of the upload key still in the uploads bucket. */
  readonly leftInUploads: number;
  /** Distinct source versions found in a final place. */
  readonly versionsPlaced: number;
  readonly copies: readonly StoredCopy[];
}

export interface AuditBuckets {
  readonly uploads: string;
  readonly processed: string;
  readonly quarantine: string;
}

/**
 * Reads what storage holds for one upload (every version, through an admin client that may read every bucket) and
 * checks it against the record: nothing left in uploads; every source version in exactly one final place (a key may
 * hold several versions only of the same bytes); `processed/<id>` only the bound version's bytes, matching the
 * manifest and verdict hashes; a processed record CLEAN, a quarantined one INFECTED/SUSPICIOUS with its copy there;
 * every other version under `form-reused/`.
 */
export async function auditUpload(
  s3: S3Client,
  buckets: AuditBuckets,
  claim: RecordClaim,
): Promise<UploadAudit> {
  const problems: string[] = [];
  const left = await versionsOf(s3, buckets.uploads, claim.uploadKey, true);
  if (left.length > 0) problems.push(`${left.length} version(s) left in uploads`);

  const processedKey = claim.uploadKey.replace(/^uploads\//, 'processed/');
  const processed = await copiesUnder(s3, buckets.processed, processedKey, true);
  const quarantined = await copiesUnder(s3, buckets.quarantine, `quarantine/${claim.uploadId}/`, false);
  const copies = [...processed, ...quarantined];

  const places = new Map<string, Set<string>>();
  const bytesAt = new Map<string, Set<string>>();
  for (const copy of copies) {
    places.set(copy.sourceVersionId, (places.get(copy.sourceVersionId) ?? new Set()).add(copy.key));
    bytesAt.set(copy.key, (bytesAt.get(copy.key) ?? new Set()).add(copy.sha256));
  }
  for (const [version, keys] of places) {
    if (keys.size !== 1)
      problems.push(`version ${version} is in ${keys.size} places: ${[...keys].join(', ')}`);
  }
  for (const [key, hashes] of bytesAt) {
    if (hashes.size !== 1) problems.push(`${key} holds ${hashes.size} different contents`);
  }

  const bound = copies.filter((copy) => !copy.formReused);
  const boundVersions = new Set(bound.map((copy) => copy.sourceVersionId));
  if (boundVersions.size > 1)
    problems.push(`more than one version decides the upload: ${[...boundVersions]}`);
  const boundVersion = claim.sourceVersionId ?? [...boundVersions][0];
  for (const copy of copies.filter((c) => c.formReused)) {
    if (copy.sourceVersionId === boundVersion) problems.push(`the bound version is also under form-reused`);
    if (copy.scanStatus === 'CLEAN') problems.push(`${copy.key} is tagged CLEAN in quarantine`);
  }

  const expectSha = (sha: string, what: string) => {
    for (const [name, value] of [
      ['verdict', claim.verdictSha256],
      ['manifest', claim.manifestSha256],
    ] as const) {
      if (value !== undefined && value !== sha)
        problems.push(`${what} has SHA-256 ${sha}, the record's ${name} ${value}`);
    }
  };

  if (claim.status === 'processed') {
    if (claim.verdictStatus !== undefined && claim.verdictStatus !== 'CLEAN') {
      problems.push(`record processed with verdict ${claim.verdictStatus}`);
    }
    if (claim.processedKey !== processedKey)
      problems.push(`record names processed key ${claim.processedKey}`);
    const objects = processed.filter((copy) => copy.key === processedKey);
    if (objects.length === 0) problems.push(`record processed, nothing at ${processedKey}`);
    for (const object of objects) {
      expectSha(object.sha256, processedKey);
      if (claim.sourceVersionId !== undefined && object.sourceVersionId !== claim.sourceVersionId) {
        problems.push(
          `${processedKey} is version ${object.sourceVersionId}, the record's ${claim.sourceVersionId}`,
        );
      }
    }
    if (quarantined.some((copy) => !copy.formReused)) problems.push(`record processed, yet quarantined too`);
  } else if (claim.status === 'quarantined') {
    if (claim.verdictStatus !== 'INFECTED' && claim.verdictStatus !== 'SUSPICIOUS') {
      problems.push(`record quarantined with verdict ${claim.verdictStatus}`);
    }
    if (processed.length > 0)
      problems.push(`record quarantined, yet ${processed.length} object(s) in processed`);
    const objects = quarantined.filter((copy) => copy.key === claim.quarantineKey);
    if (objects.length === 0) problems.push(`record quarantined, nothing at ${claim.quarantineKey}`);
    for (const object of objects) {
      expectSha(object.sha256, object.key);
      if (object.formReused) problems.push(`the record's quarantine key is a form-reused one`);
      if (claim.verdictStatus !== undefined && object.scanStatus !== claim.verdictStatus) {
        problems.push(`${object.key} is ${object.scanStatus}, the record's verdict ${claim.verdictStatus}`);
      }
    }
  } else {
    problems.push(`record is ${claim.status}, not final`);
  }
  return { problems, leftInUploads: left.length, versionsPlaced: places.size, copies };
}

/** The versions (not delete markers) of `prefix`: of exactly that key when `exact`. */
async function versionsOf(
  s3: S3Client,
  bucket: string,
  prefix: string,
  exact: boolean,
): Promise<ObjectVersion[]> {
  const found: ObjectVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker ? { KeyMarker: keyMarker, VersionIdMarker: versionIdMarker } : {}),
      }),
    );
    found.push(...(page.Versions ?? []).filter((version) => !exact || version.Key === prefix));
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return found;
}

/** Every version under `prefix` (except manifests) with the metadata the pipeline's moves write. */
async function copiesUnder(
  s3: S3Client,
  bucket: string,
  prefix: string,
  exact: boolean,
): Promise<StoredCopy[]> {
  const copies: StoredCopy[] = [];
  for (const version of await versionsOf(s3, bucket, prefix, exact)) {
    const key = version.Key ?? '';
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: version.VersionId }),
    );
    const metadata = head.Metadata ?? {};
    copies.push({
      bucket,
      key,
      versionId: version.VersionId ?? '',
      sourceVersionId: metadata['source-version-id'] ?? 'unknown',
      sha256: metadata.sha256 ?? 'unknown',
      scanStatus: metadata['scan-status'] ?? 'unknown',
      formReused: key.includes('/form-reused/'),
    });
  }
  return copies;
}
