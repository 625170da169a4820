import { createHash } from 'node:crypto';

import type { ScanResultDetail } from '../../../core/events/scan-result-event';
import type { PipelineLogger } from '../../../core/logging/pipeline-logger';
import type { RecordedVerdict, StatusRecord } from '../../../core/status/upload-status';

export const UPLOADS = 'stowage-dev-uploads';
export const PROCESSED = 'stowage-dev-processed';
export const QUARANTINE = 'stowage-dev-quarantine';
export const RESULTS_BUS = 'stowage-dev-results';
export const PROCESSED_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/processed';
export const QUARANTINE_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/quarantine';
export const OWNER = 'user-1';

/** The uploads key of an upload id. */
export function uploadKey(uploadId: string, extension: string): string {
  return `uploads/${OWNER}/2025/03/04/${uploadId}.${extension}`;
}

/** A status record as the intake API writes it. */
export function statusRecord(uploadId: string, fields: Partial<StatusRecord> = {}): StatusRecord {
  return {
    uploadId,
    owner: OWNER,
    status: 'pending',
    fileName: 'Holiday photo (1).png',
    contentType: 'image/png',
    declaredSize: 100,
    uploadKey: uploadKey(uploadId, 'png'),
    createdAt: '2025-03-04T05:00:00.000Z',
    updatedAt: '2025-03-04T05:00:00.000Z',
    ...fields,
  };
}

/** A results-bus detail for an object version. */
export function resultDetail(
  uploadId: string,
  key: string,
  versionId: string,
  verdict: RecordedVerdict,
): ScanResultDetail {
  return { uploadId, owner: OWNER, bucket: UPLOADS, key, versionId, verdict };
}

/** The SQS body the results queue delivers: the EventBridge event put on the results bus. */
export function resultsMessageBody(detail: ScanResultDetail): string {
  return JSON.stringify({
    version: '0',
    id: 'e1',
    'detail-type': 'Stowage Scan Result',
    source: 'stowage.intake',
    account: '123456789012',
    time: '2025-03-04T05:06:08Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  });
}

/** An SQS record with the given body. */
export function sqsRecord(messageId: string, body: string) {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '1',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
    awsRegion: 'eu-west-1',
  };
}

/** A logger that keeps what was logged. */
export function recordingLogger(): PipelineLogger & { entries: { level: string; message: string }[] } {
  const entries: { level: string; message: string }[] = [];
  return {
    entries,
    info: (message) => entries.push({ level: 'info', message }),
    warn: (message) => entries.push({ level: 'warn', message }),
    error: (message) => entries.push({ level: 'error', message }),
  };
}

/** Metrics stand-in that records metric names. */
export function recordingMetrics() {
  const names: string[] = [];
  return {
    names,
    addMetric: (name: string) => {
      names.push(name);
    },
    publishStoredMetrics: () => undefined,
  };
}

/** A recorded verdict for the given bytes. */
export function verdictFor(
  body: Buffer,
  status: RecordedVerdict['status'],
  fields: Partial<RecordedVerdict> = {},
): RecordedVerdict {
  return {
    status,
    engine: 'builtin',
    sha256: createHash('sha256').update(body).digest('hex'),
    size: body.length,
    scannedAt: '2025-03-04T05:06:07.000Z',
    ...fields,
  };
}
