import { Duration, Stack } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledgements';
import { EncryptedQueue } from './encrypted-queue';
import { LogicalIdGroup } from './logical-id-group';
import type { StowageFunctionProps } from './stowage-function';
import { StowageFunction } from './stowage-function';

/** SQS event sources need the visibility timeout to be at least this many times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface QueueFedConsumerProps {
  /** Construct id of the queue (its logical IDs start with it, e.g. `IntakeQueue`). */
  readonly queueId: string;
  /** Construct id of the handler (its logical IDs start with it, e.g. `ScanHandler`). */
  readonly handlerId: string;
  /** The handler; the queue's visibility timeout follows its timeout. */
  readonly handler: StowageFunctionProps;
  /** Customer-managed key of the queue and its DLQ. */
  readonly encryptionKey: kms.IKey;
  /** Receives of a message before SQS moves it to the DLQ. */
  readonly maxReceiveCount: number;
  /** Removal policy of both queues. */
  readonly removalPolicy: RemovalPolicy;
  /** Messages per invocation. */
  readonly batchSize: number;
}

/**
 * A handler fed by its own queue: an EncryptedQueue (SSE-KMS, TLS only, DLQ after `maxReceiveCount` receives; the
 * Operations stack alarms on and redrives the DLQ), the StowageFunction, and the event source mapping with partial
 * batch responses and the handler's reserved concurrency as its maximum concurrency. EventBridge rules deliver to the
 * queue with `deliverFrom`. A LogicalIdGroup: the queue and the handler keep the logical IDs their ids give them.
 */
export class QueueFedConsumer extends LogicalIdGroup {
  /** The queue and its DLQ. */
  readonly queue: EncryptedQueue;
  /** The handler. */
  readonly handler: StowageFunction;

  constructor(scope: Construct, id: string, props: QueueFedConsumerProps) {
    super(scope, id);
    this.queue = new EncryptedQueue(this, props.queueId, {
      encryptionKey: props.encryptionKey,
      maxReceiveCount: props.maxReceiveCount,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * props.handler.timeoutSeconds),
      removalPolicy: props.removalPolicy,
    });
    this.handler = new StowageFunction(this, props.handlerId, props.handler);
    acknowledge(this.handler.function, 'handlersOutsideVpc');

    // addEventSourceMapping (not SqsEventSource, whose ID embeds the stack name and so the env).
    const mapping = this.handler.function.addEventSourceMapping(`${props.queueId}Source`, {
      eventSourceArn: this.queue.queue.queueArn,
      batchSize: props.batchSize,
      reportBatchItemFailures: true,
      maxConcurrency: props.handler.reservedConcurrency,
    });
    this.queue.queue.grantConsumeMessages(this.handler.role);
    acknowledge(mapping, 'sqsEventSourceUsesQueueDlq');
  }

  /**
   * Targets the queue from `rules`, with the queue's DLQ for events EventBridge cannot deliver. The queue policy names
   * the rules (aws:SourceArn); CDK's own grant for encrypted queues would only check the account.
   */
  deliverFrom(rules: readonly events.Rule[]): void {
    const { queue } = this;
    queue.allowEventBridgeRules(rules.map((rule) => rule.ruleArn));
    // Same-stack references built with formatArn keep this stack's account and region resolved.
    const stack = Stack.of(this);
    const queueArn = (q: sqs.Queue) => stack.formatArn({ service: 'sqs', resource: q.queueName });
    const target = sqs.Queue.fromQueueAttributes(this, `${queue.node.id}Target`, {
      queueArn: queueArn(queue.queue),
      queueUrl: queue.queue.queueUrl,
      queueName: queue.queue.queueName,
    });
    const deadLetterQueue = sqs.Queue.fromQueueAttributes(this, `${queue.node.id}DeadLetterTarget`, {
      queueArn: queueArn(queue.deadLetterQueue),
      queueUrl: queue.deadLetterQueue.queueUrl,
      queueName: queue.deadLetterQueue.queueName,
    });
    for (const rule of rules) {
      rule.addTarget(
        new targets.SqsQueue(target, {
          deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      );
    }
  }
}
