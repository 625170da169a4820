import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { isMissingCredentials, isServiceError } from '../../../core/aws/aws-errors';
import { CREDENTIALS_HINT, describeError, errorCode } from '../../shared/service-error';
import { deployHint, fail, pass, skip, type CheckResult, type DoctorContext } from './check';

export interface QueueCheckOptions {
  /** The intake queue's URL (--intake-queue-url). Default: found by name prefix `Stowage-<env>-Intake`. */
  readonly intakeQueueUrl?: string;
  /** The intake DLQ's URL (--intake-dlq-url). Default: the intake queue's redrive target. */
  readonly intakeDlqUrl?: string;
}

interface QueueInfo {
  readonly url: string;
  readonly name: string;
  readonly arn?: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** The ARN of the queue's DLQ, for work queues. */
  readonly deadLetterTargetArn?: string;
}

/** `Stowage-<env>-Intake`: CloudFormation names the Intake stack's queues `<stack name>-<logical id>-<suffix>`. */
export function intakeQueuePrefix(envName: string): string {
  return `Stowage-${envName}-Intake`;
}

/**
 * Depths of the Intake stack's queues: each work queue PASS with its depth, each DLQ FAIL when it holds messages
 * (the redrive hint). Queues come from the flags, else ListQueues by the stack's name prefix. An S3-compatible
 * endpoint has no SQS (local mode queues in-process): SKIP.
 */
export async function queueChecks(ctx: DoctorContext, options: QueueCheckOptions): Promise<CheckResult[]> {
  const name = 'intake queues';
  if (ctx.endpoint) {
    return [
      skip(
        name,
        `S3-compatible endpoint ${ctx.endpoint}: no SQS there (local mode runs its queues in-process)`,
      ),
    ];
  }
  const sqs = ctx.sqs();
  const prefix = intakeQueuePrefix(ctx.config.envName);
  try {
    let urls: string[];
    if (options.intakeQueueUrl !== undefined || options.intakeDlqUrl !== undefined) {
      urls = [options.intakeQueueUrl, options.intakeDlqUrl].filter((u): u is string => u !== undefined);
    } else {
      urls = await listQueueUrls(sqs, prefix);
      if (urls.length === 0) {
        return [
          fail(
            name,
            `no SQS queue named ${prefix}* in ${ctx.region}`,
            `deploy it (${deployHint(ctx.config, 'Intake')}), check --region, or pass --intake-queue-url and --intake-dlq-url`,
          ),
        ];
      }
    }
    const queues = await Promise.all(urls.map((url) => describeQueue(sqs, url)));
    // With only the intake queue named, its DLQ is its redrive target.
    if (options.intakeQueueUrl !== undefined && options.intakeDlqUrl === undefined) {
      const target = queues[0]?.deadLetterTargetArn;
      if (target !== undefined) queues.push(await describeQueue(sqs, await queueUrlOfArn(sqs, target)));
    }
    return orderedResults(ctx, queues, options.intakeDlqUrl);
  } catch (error) {
    if (isMissingCredentials(error)) return [fail(name, 'no AWS credentials found', CREDENTIALS_HINT)];
    if (!isServiceError(error)) throw error;
    const code = errorCode(error);
    return [
      fail(
        name,
        describeError(error),
        code === 'AccessDenied' || code === 'AccessDeniedException'
          ? `allow sqs:ListQueues and sqs:GetQueueAttributes on ${prefix}* for your principal`
          : code.includes('NonExistentQueue')
            ? 'check the queue URLs and --region'
            : `check --region (${ctx.region}) and network access to SQS`,
      ),
    ];
  }
}

/** Each work queue followed by its DLQ (by the redrive policy), then any other DLQ. */
function orderedResults(
  ctx: DoctorContext,
  queues: readonly QueueInfo[],
  dlqUrl: string | undefined,
): CheckResult[] {
  const byArn = new Map(queues.filter((q) => q.arn !== undefined).map((q) => [q.arn!, q]));
  const dlqs = new Set<QueueInfo>();
  for (const q of queues) {
    const dlq = q.deadLetterTargetArn !== undefined ? byArn.get(q.deadLetterTargetArn) : undefined;
    if (dlq) dlqs.add(dlq);
    if (q.url === dlqUrl || (q.deadLetterTargetArn === undefined && /dead-?letter|dlq/i.test(q.name)))
      dlqs.add(q);
  }
  const results: CheckResult[] = [];
  const done = new Set<QueueInfo>();
  for (const q of [...queues].sort((a, b) => a.name.localeCompare(b.name))) {
    if (dlqs.has(q) || done.has(q)) continue;
    results.push(workQueueResult(q));
    done.add(q);
    const dlq = q.deadLetterTargetArn !== undefined ? byArn.get(q.deadLetterTargetArn) : undefined;
    if (dlq && !done.has(dlq)) {
      results.push(dlqResult(ctx, dlq));
      done.add(dlq);
    }
  }
  for (const q of queues) if (!done.has(q)) results.push(dlqResult(ctx, q));
  return results;
}

function depth(q: QueueInfo): string {
  return `${q.visible} visible, ${q.inFlight} in flight, ${q.delayed} delayed`;
}

function workQueueResult(q: QueueInfo): CheckResult {
  return pass(`queue ${q.name}`, depth(q));
}

function dlqResult(ctx: DoctorContext, q: QueueInfo): CheckResult {
  const total = q.visible + q.inFlight + q.delayed;
  if (total === 0) return pass(`DLQ ${q.name}`, 'empty');
  return fail(
    `DLQ ${q.name}`,
    `${total} message(s) failed every delivery: ${depth(q)}`,
    `fix the cause (the handler's logs), then redrive: aws sqs start-message-move-task --source-arn ${q.arn ?? q.url}` +
      ` --region ${ctx.region} (the operations handler redrives on the DLQ alarm)`,
  );
}

async function listQueueUrls(sqs: SQSClient, prefix: string): Promise<string[]> {
  const urls: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken }),
    );
    urls.push(...(page.QueueUrls ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return urls.sort();
}

async function describeQueue(sqs: SQSClient, url: string): Promise<QueueInfo> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'QueueArn',
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
        'RedrivePolicy',
      ],
    }),
  );
  const a = out.Attributes ?? {};
  let deadLetterTargetArn: string | undefined;
  if (a.RedrivePolicy) {
    const policy = JSON.parse(a.RedrivePolicy) as { deadLetterTargetArn?: unknown };
    if (typeof policy.deadLetterTargetArn === 'string') deadLetterTargetArn = policy.deadLetterTargetArn;
  }
  return {
    url,
    name: url.slice(url.lastIndexOf('/') + 1),
    arn: a.QueueArn,
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    deadLetterTargetArn,
  };
}

/** arn:aws:sqs:<region>:<account>:<name> → its URL. */
async function queueUrlOfArn(sqs: SQSClient, arn: string): Promise<string> {
  const [, , , , account, name] = arn.split(':');
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
  if (!out.QueueUrl) throw new Error(`SQS returned no URL for ${arn}`);
  return out.QueueUrl;
}
