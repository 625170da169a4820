/**
 * One upload as a browser sends it, against a running local mode: presign over HTTP with the user's JWT, POST the
 * form straight to S3 (twice for a reused form), deliver the object-created event again for a duplicate-event
 * upload, then poll the status until it is final. Records the outcome and latency on the Upload; never throws.
 */
import type { UploadStatusView } from '../../../lambda/intake-api/get-upload-status';
import type { PresignedUpload } from '../../../lambda/intake-api/presign-upload';
import type { LocalMode } from '../../../local/runtime/local-mode';
import { contentFor, type Upload } from './workload';

/** Deliveries of the object-created event for a duplicate-event upload (RGW's own plus these). */
export const EXTRA_DELIVERIES = 2;
const POLL_START_MS = 20;
const POLL_MAX_MS = 250;
const TIMEOUT_MS = 180_000;

/** Presign → POST to S3 (→ extra event deliveries) → poll to the final status. Records, never throws. */
export async function runUpload(
  local: LocalMode,
  tokens: Map<string, string>,
  upload: Upload,
): Promise<void> {
  const started = performance.now();
  try {
    const { body, second, contentType, fileName } = contentFor(upload.kind);
    const token = tokens.get(upload.user)!;
    const presign = await fetch(`${local.apiUrl}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fileName, contentType, size: body.length }),
    });
    if (presign.status !== 201)
      throw new Error(`presign answered ${presign.status}: ${await presign.text()}`);
    const presigned = (await presign.json()) as PresignedUpload;
    upload.uploadId = presigned.uploadId;
    upload.key = presigned.key;
    const post = async (bytes: Buffer): Promise<void> => {
      const form = new FormData();
      for (const [name, value] of Object.entries(presigned.fields)) form.append(name, value);
      form.append('file', new Blob([bytes], { type: contentType }), fileName);
      const posted = await fetch(presigned.url, { method: 'POST', body: form });
      if (posted.status !== 204) throw new Error(`S3 POST answered ${posted.status}: ${await posted.text()}`);
    };
    if (upload.kind === 'form-reused-concurrent') {
      await Promise.all([post(body), post(second!)]);
    } else {
      await post(body);
      if (second) await post(second);
    }
    if (upload.kind === 'duplicate-event') {
      for (let i = 0; i < EXTRA_DELIVERIES; i++) {
        local.intake.queues.intake.send(
          objectCreatedEvent(local.buckets.uploads, presigned.key, body.length),
        );
      }
    }
    let wait = POLL_START_MS;
    for (;;) {
      const response = await fetch(`${local.apiUrl}/uploads/${presigned.uploadId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200) throw new Error(`status answered ${response.status}`);
      const view = (await response.json()) as UploadStatusView;
      if (view.status === 'processed' || view.status === 'quarantined' || view.status === 'error') {
        upload.final = view.status;
        upload.verdict = view.verdict?.status;
        upload.latencyMs = performance.now() - started;
        if (view.status === 'error') upload.failure = `error: ${view.reason ?? 'no reason'}`;
        return;
      }
      if (performance.now() - started > TIMEOUT_MS)
        throw new Error(`still ${view.status} after ${TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(POLL_MAX_MS, wait * 1.5);
    }
  } catch (error) {
    upload.failure = error instanceof Error ? error.message : String(error);
  }
}

/** An object-created notification as RGW pushes it (raw key, empty versionId). */
function objectCreatedEvent(bucket: string, key: string, size: number): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.2',
        eventSource: 'ceph:s3',
        eventName: 'ObjectCreated:Post',
        eventTime: new Date().toISOString(),
        s3: { s3SchemaVersion: '1.0', bucket: { name: bucket }, object: { key, size, versionId: '' } },
      },
    ],
  });
}
