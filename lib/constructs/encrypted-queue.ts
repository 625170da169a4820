import { Duration } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledgements';

export interface EncryptedQueueProps {
  /** Customer-managed key of the queue and its DLQ. */
  readonly encryptionKey: kms.IKey;
  /** Receives of a message before SQS moves it to the DLQ. */
  readonly maxReceiveCount: number;
  /** Visibility timeout: at least 6x the consumer's timeout (AWS guidance for Lambda event sources). */
  readonly visibilityTimeout: Duration;
  /** How long the queue keeps a message. @default 4 days */
  readonly retentionPeriod?: Duration;
  /** How long the DLQ keeps a message (the SQS maximum, for investigation and redrive). @default 14 days */
  readonly deadLetterRetentionPeriod?: Duration;
  /** Removal policy of both queues. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The one way Stowage creates a work queue: SSE-KMS under a customer-managed key, TLS-only, and a DLQ
 * (same key, same TLS rule) after `maxReceiveCount` receives. EventBridge may send to either queue only
 * for rules named with `allowEventBridgeRule`.
 */
export class EncryptedQueue extends Construct {
  /** The work queue. */
  readonly queue: sqs.Queue;
  /** Its dead-letter queue. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EncryptedQueueProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxReceiveCount) || props.maxReceiveCount < 1) {
      throw new Error(`EncryptedQueue ${id}: maxReceiveCount must be a whole number >= 1`);
    }
    const encryption = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...encryption,
      retentionPeriod: props.deadLetterRetentionPeriod ?? Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...encryption,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    acknowledge(this.deadLetterQueue, 'deadLetterQueueIsTerminal');
    acknowledge(this, 'crossStackKeyNotRecognised');
  }

  /**
   * Lets EventBridge deliver to the queue for exactly these rules (aws:SourceArn), and lets it
   * dead-letter their failed deliveries into the DLQ.
   */
  allowEventBridgeRules(ruleArns: readonly string[]): void {
    for (const [sid, queue] of [
      ['EventBridgeRulesSend', this.queue],
      ['EventBridgeRulesDeadLetter', this.deadLetterQueue],
    ] as const) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': [...ruleArns] } },
        }),
      );
    }
  }
}
