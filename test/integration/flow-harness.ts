/**
 * The intake flow through createLocalIntake (the same handlers Lambda runs, fed by local queues) against the real
 * servers: a harness that presigns, posts forms to Ceph RGW and reads results through the API and S3.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

import type { UploadStatusView } from '../../lambda/intake-api/get-upload-status';
import type { PresignedUpload } from '../../lambda/intake-api/presign-upload';
import { createS3Client } from '../../core/aws/s3-client';
import { MemoryStatusStore } from '../../core/status/memory-status-store';
import type { StatusRecord, UploadStatus } from '../../core/status/upload-status';
import { ensureIntakeBuckets, type IntakeBucketNames } from '../../local/runtime/intake-buckets';
import { createLocalIntake, type LocalIntake } from '../../local/runtime/local-intake';
import { postPresignedForm } from '../support/integration/presigned-post';
import {
  createTestS3Client,
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../support/integration/servers';
import { waitFor } from '../support/integration/wait-for';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const USER = 'user-flow-1';
const ALLOWED_TYPES = ['audio/wav', 'audio/mpeg', 'application/zip', 'application/gzip', 'image/png'];
const FINAL_STATUSES: readonly UploadStatus[] = ['processed', 'quarantined', 'error'];

export const servers = getTestServers();
const credentials = { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey };
const silentLogger = new Logger({
  serviceName: 'stowage-intake-flow-test',
  logLevel: (process.env.FLOW_LOG_LEVEL as 'SILENT' | undefined) ?? 'SILENT',
});

/** A client whose DeleteObject on `bucket` fails `failures` times (a crash between copy and delete). */
export function deleteFaultClient(bucket: string): {
  client: S3Client;
  fail(times: number): void;
  injected(): number;
} {
  const client = createS3Client({ endpoint: servers.s3.endpoint, region: servers.s3.region, credentials });
  let remaining = 0;
  let injected = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string };
      if (context.commandName === 'DeleteObjectCommand' && input.Bucket === bucket && remaining > 0) {
        remaining -= 1;
        injected += 1;
        throw Object.assign(new Error('injected fault: connection reset before DeleteObject'), {
          name: 'InternalError',
          $metadata: { httpStatusCode: 500 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectDeleteFault' },
  );
  return {
    client,
    fail: (times) => {
      remaining = times;
    },
    injected: () => injected,
  };
}

/** Everything one runtime under test needs, with helpers that read through the real API and S3. */
export class FlowHarness {
  readonly s3 = createTestS3Client();
  readonly store = new MemoryStatusStore();
  readonly notifications: string[] = [];
  readonly buckets: IntakeBucketNames;
  intake!: LocalIntake;

  constructor(prefix: string) {
    this.buckets = {
      uploads: uniqueBucketName(`${prefix}-uploads`),
      processed: uniqueBucketName(`${prefix}-processed`),
      quarantine: uniqueBucketName(`${prefix}-quarantine`),
    };
  }

  async presign(fileName: string, contentType: string, size: number): Promise<PresignedUpload> {
    const response = await this.intake.api({
      method: 'POST',
      path: '/uploads',
      userId: USER,
      body: JSON.stringify({ fileName, contentType, size }),
    });
    expect(response.statusCode).toBe(201);
    return JSON.parse(response.body) as PresignedUpload;
  }

  /** Presign, then the browser-style POST straight to RGW; expects RGW to accept it (204). */
  async upload(fileName: string, contentType: string, bytes: Buffer): Promise<PresignedUpload> {
    const presigned = await this.presign(fileName, contentType, bytes.length);
    const posted = await postPresignedForm(presigned.url, presigned.fields, bytes, fileName);
    expect(posted.status).toBe(204);
    return presigned;
  }

  async status(uploadId: string): Promise<UploadStatusView> {
    const response = await this.intake.api({ method: 'GET', path: `/uploads/${uploadId}`, userId: USER });
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body) as UploadStatusView;
  }

  /**
   * Polls `GET /uploads/{id}` until the status is final (processed, quarantined or error), then waits for the
   * queues to settle: the pipeline writes the final status before it deletes the source.
   */
  async finalStatus(uploadId: string): Promise<UploadStatusView> {
    await waitFor(`a final status of ${uploadId}`, async () => {
      const view = await this.status(uploadId);
      return FINAL_STATUSES.includes(view.status) ? view : undefined;
    });
    await this.settled();
    return this.status(uploadId);
  }

  /** Every version (not delete markers) under `prefix`. */
  async versions(bucket: string, prefix: string): Promise<string[]> {
    const page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    return (page.Versions ?? []).map((version) => `${version.Key ?? ''}#${version.VersionId ?? ''}`);
  }

  /** Waits until every queue has handled everything it holds. */
  async settled(): Promise<void> {
    const { intake, quarantine, process } = this.intake.queues;
    await Promise.all([intake.idle(), quarantine.idle(), process.idle()]);
  }

  deadLetters(): Record<string, number> {
    const { intake, quarantine, process } = this.intake.queues;
    return {
      intake: intake.deadLettered.length,
      quarantine: quarantine.deadLettered.length,
      process: process.deadLettered.length,
    };
  }

  async keys(bucket: string, prefix = ''): Promise<string[]> {
    const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((object) => object.Key ?? '');
  }

  async tags(bucket: string, key: string): Promise<Record<string, string>> {
    const tagging = await this.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    return Object.fromEntries((tagging.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  }

  async read(bucket: string, key: string): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  /** Puts an object straight into `uploads` as a presigned POST would have (SSE-KMS, upload-id), with its record. */
  async putDirect(key: string, uploadId: string, contentType: string, body: Buffer, fileName: string) {
    const now = new Date().toISOString();
    const record: StatusRecord = {
      uploadId,
      owner: USER,
      status: 'pending',
      fileName,
      contentType,
      declaredSize: body.length,
      uploadKey: key,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.create(record);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.buckets.uploads,
        Key: key,
        Body: body,
        ContentType: contentType,
        Metadata: { 'upload-id': uploadId },
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: servers.s3.kmsKeyId,
      }),
    );
  }

  async setUp(options: {
    clamd: { host: string; port: number };
    maxReceiveCount: number;
    s3Clients?: { process?: S3Client; quarantine?: S3Client };
  }): Promise<void> {
    await ensureIntakeBuckets(this.s3, this.buckets, {
      uploads: servers.s3.kmsKeyId,
      processed: servers.s3.kmsKeyId,
      quarantine: servers.s3.kmsKeyId,
    });
    this.intake = await createLocalIntake({
      s3Endpoint: servers.s3.endpoint,
      region: servers.s3.region,
      credentials,
      buckets: this.buckets,
      kmsKeyIds: {
        uploads: servers.s3.kmsKeyId,
        processed: servers.s3.kmsKeyId,
        quarantine: servers.s3.kmsKeyId,
      },
      clamd: options.clamd,
      statusStore: this.store,
      allowedContentTypes: ALLOWED_TYPES,
      maxUploadBytes: 4 * MiB,
      queues: { maxReceiveCount: options.maxReceiveCount, retryDelayMs: 50 },
      ...(options.s3Clients ? { s3Clients: options.s3Clients } : {}),
      onNotification: (body) => this.notifications.push(body),
      logger: silentLogger,
    });
  }

  async tearDown(): Promise<void> {
    await this.intake.stop();
    await Promise.all(Object.values(this.buckets).map((bucket) => deleteBucketWithContents(this.s3, bucket)));
    this.s3.destroy();
  }
}
