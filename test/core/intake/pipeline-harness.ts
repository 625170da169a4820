import { S3Client } from '@aws-sdk/client-s3';

import type { ScanTrigger } from '../../../core/events/intake-message';
import type { ScanResultDetail } from '../../../core/events/scan-result-event';
import { VERDICT_ROUTES } from '../../../core/events/scan-result-event';
import { processUpload } from '../../../core/intake/process-upload';
import { quarantineUpload } from '../../../core/intake/quarantine-upload';
import { scanObject } from '../../../core/intake/scan-object';
import { createBuiltinEngine } from '../../../core/scan/builtin-engine';
import type { StatusStore } from '../../../core/status/upload-status';
import {
  PROCESSED,
  PROCESSED_KEY,
  QUARANTINE,
  QUARANTINE_KEY,
  recordingLogger,
  UPLOADS,
} from './pipeline-fixtures';

/** The error an injected crash throws. */
export class InjectedCrash extends Error {
  constructor(what: string) {
    super(`injected crash at ${what}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * Where to crash: the `at`-th call (1-based, counted over the whole run) of any pipeline side effect: an S3 request,
 * a status update or a results publish. Each crash happens once; the harness then retries the failed message.
 */
export interface CrashPlan {
  readonly at?: number;
}

type Message =
  | { readonly kind: 'intake'; readonly trigger: ScanTrigger }
  | { readonly kind: 'result'; readonly detail: ScanResultDetail };

/**
 * The intake pipeline's three cores wired like the queues wire them (intake → scan → results routed by verdict →
 * quarantine / process), each message retried after a failure (SQS redelivery), with every side effect counted and
 * one of them optionally crashing. Runs against FakeS3 (already installed on the S3Client mock).
 */
export class PipelineHarness {
  /** Side effects performed so far (S3 requests, status updates, publishes). */
  calls = 0;
  /** Messages that failed and were retried. */
  retries = 0;
  readonly published: ScanResultDetail[] = [];
  private readonly queue: Message[] = [];
  private crashed = false;
  private readonly s3: S3Client;
  private readonly store: StatusStore;

  constructor(
    statusStore: StatusStore,
    private readonly plan: CrashPlan = {},
  ) {
    const base = new S3Client({ region: 'eu-west-1' });
    const send = base.send.bind(base) as (command: unknown) => Promise<unknown>;
    this.s3 = new Proxy(base, {
      get: (target, property, receiver) => {
        if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
        return (command: { constructor: { name: string } }) => {
          this.sideEffect(command.constructor.name);
          return send(command);
        };
      },
    });
    this.store = {
      create: (record) => statusStore.create(record),
      get: (uploadId) => statusStore.get(uploadId),
      listByOwner: (owner, query) => statusStore.listByOwner(owner, query),
      update: (...args) => {
        this.sideEffect('status update');
        return statusStore.update(...args);
      },
    };
  }

  /** Queues the object-created event of an object (no version id: the Ceph RGW shape). */
  objectCreated(key: string, versionId?: string): void {
    this.queue.push({
      kind: 'intake',
      trigger: {
        object: {
          bucket: UPLOADS,
          key,
          source: versionId ? 'aws:s3' : 'ceph:s3',
          ...(versionId ? { versionId } : {}),
        },
      },
    });
  }

  /** Runs every queued message (and those they produce) until none is left; a message fails at most 20 times. */
  async settle(): Promise<void> {
    const attempts = new Map<Message, number>();
    while (this.queue.length > 0) {
      const message = this.queue.shift()!;
      try {
        await this.run(message);
      } catch (error) {
        const count = (attempts.get(message) ?? 0) + 1;
        attempts.set(message, count);
        if (count >= 20) throw error;
        this.retries++;
        this.queue.push(message);
      }
    }
  }

  private async run(message: Message): Promise<void> {
    const logger = recordingLogger();
    if (message.kind === 'intake') {
      await scanObject(message.trigger, {
        s3: this.s3,
        statusStore: this.store,
        engines: [createBuiltinEngine()],
        config: { uploadsBucket: UPLOADS, guardDutyInconclusive: 'ERROR' },
        logger,
        results: {
          publish: async (detail) => {
            this.sideEffect('publish');
            this.published.push(detail);
            this.queue.push({ kind: 'result', detail });
          },
        },
      });
      return;
    }
    const { detail } = message;
    if (VERDICT_ROUTES[detail.verdict.status] === 'process') {
      await processUpload(detail, {
        s3: this.s3,
        statusStore: this.store,
        config: { uploadsBucket: UPLOADS, processedBucket: PROCESSED, processedKeyId: PROCESSED_KEY },
        logger,
      });
    } else {
      await quarantineUpload(detail, {
        s3: this.s3,
        statusStore: this.store,
        config: { uploadsBucket: UPLOADS, quarantineBucket: QUARANTINE, quarantineKeyId: QUARANTINE_KEY },
        logger,
      });
    }
  }

  private sideEffect(what: string): void {
    this.calls++;
    if (!this.crashed && this.plan.at === this.calls) {
      this.crashed = true;
      throw new InjectedCrash(`${what} (call ${this.calls})`);
    }
  }
}
