import { SetAlarmStateCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

import { describeError } from '../../core/backup/verify/error-message';
import type { HandlerMetrics } from '../runtime/batch-metrics';
import type { PipelineLogger } from '../../core/logging/pipeline-logger';
import {
  OperationFailedError,
  type AlarmRearm,
  type RedriveOutcome,
  type SettleOutcome,
} from './operation-outcome';
import { OPERATIONS_METRICS } from './operations-metrics';

/** CloudWatch takes a state reason of at most 1023 characters. */
const STATE_REASON_MAX = 1023;

export interface RearmDependencies {
  readonly cloudwatch: CloudWatchClient;
  readonly sqs: SQSClient;
  readonly logger: PipelineLogger;
  readonly metrics: HandlerMetrics;
}

export interface RearmRequest {
  /** The alarm whose ALARM transition started the run. */
  readonly alarmName: string;
  /** The queue the alarm watches. */
  readonly queueUrl: string;
  readonly queueName: string;
  /** The run, in words, for the state reason: `redrive of <dlq> for the ALARM transition at <time>`. */
  readonly run: string;
  /** Why it left messages behind: `stopped at its limit of 100 messages`. */
  readonly why: string;
  /** Messages the run received and left in the queue (hidden from its depth for now). Default 0. */
  readonly leftBehind?: number;
  /**
   * Add the queue's visible messages (ApproximateNumberOfMessages: what a NotEmpty alarm watches), for a run that
   * stopped at its limit.
   */
  readonly countVisible: boolean;
}

/** Re-arming failed; carries what is known (the run itself completed and stays done). */
export class AlarmRearmError extends Error {
  constructor(
    message: string,
    readonly rearm: AlarmRearm,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AlarmRearmError';
  }
}

/**
 * Sets the alarm to OK when its queue still holds messages after a bounded run (SetAlarmState, reason naming the
 * run), so that its next evaluation raises it again and that new transition starts the next run. Nothing left:
 * nothing to do, the alarm clears by itself. Throws AlarmRearmError when the depth cannot be read or the state
 * cannot be set.
 */
export async function rearmAlarm(deps: RearmDependencies, request: RearmRequest): Promise<AlarmRearm> {
  const { logger } = deps;
  const log = { alarmName: request.alarmName, queue: request.queueName };
  let remaining = request.leftBehind ?? 0;
  if (request.countVisible) {
    try {
      remaining += await visibleMessages(deps.sqs, request.queueUrl);
    } catch (error) {
      const rearm: AlarmRearm = {
        alarmName: request.alarmName,
        remaining: null,
        status: 'failed',
        error: `reading the depth of ${request.queueName} failed: ${describeError(error)}`,
      };
      logger.error('could not re-arm the alarm after a bounded run', { ...log, error: rearm.error });
      throw new AlarmRearmError(rearm.error!, rearm, { cause: error });
    }
  }
  if (remaining === 0) {
    logger.info('bounded run left nothing behind: the alarm clears by itself', log);
    return { alarmName: request.alarmName, remaining, status: 'not-needed' };
  }

  const reason = clampReason(
    `Set to OK by the Stowage operations handler: the ${request.run} ${request.why}, with ${remaining} ` +
      `message(s) left in ${request.queueName}. The next evaluation raises the alarm again and starts another run.`,
  );
  try {
    await deps.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: request.alarmName, StateValue: 'OK', StateReason: reason }),
    );
  } catch (error) {
    const rearm: AlarmRearm = {
      alarmName: request.alarmName,
      remaining,
      status: 'failed',
      reason,
      error: `SetAlarmState failed: ${describeError(error)}`,
    };
    logger.error('could not re-arm the alarm after a bounded run', { ...log, remaining, error: rearm.error });
    throw new AlarmRearmError(rearm.error!, rearm, { cause: error });
  }
  deps.metrics.addMetric(OPERATIONS_METRICS.ALARMS_REARMED, MetricUnit.Count, 1);
  logger.info('alarm set to OK so that its next evaluation starts another run', {
    ...log,
    remaining,
    reason,
  });
  return { alarmName: request.alarmName, remaining, status: 'rearmed', reason };
}

/**
 * A completed run's outcome with its re-arming. When re-arming fails, the run stays done (nothing is undone) and an
 * OperationFailedError carries the outcome with the failed re-arming: the failure is reported and the invocation
 * fails, so Lambda's retry starts another bounded run and re-arms again.
 */
export async function withRearm<Outcome extends RedriveOutcome | SettleOutcome>(
  deps: RearmDependencies,
  outcome: Outcome,
  request: RearmRequest,
): Promise<Outcome> {
  try {
    return { ...outcome, rearm: await rearmAlarm(deps, request) };
  } catch (error) {
    if (!(error instanceof AlarmRearmError)) throw error;
    throw new OperationFailedError(
      `the ${request.run} completed, but re-arming alarm ${request.alarmName} failed: ${error.message}`,
      { ...outcome, rearm: error.rearm },
      { cause: error },
    );
  }
}

/** The queue's visible messages (ApproximateNumberOfMessages: what a NotEmpty alarm watches). */
async function visibleMessages(sqs: SQSClient, queueUrl: string): Promise<number> {
  const response = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const value = response.Attributes?.ApproximateNumberOfMessages;
  if (value === undefined || !/^\d+$/.test(value)) {
    throw new Error(`SQS answered without a readable ApproximateNumberOfMessages (${String(value)})`);
  }
  return Number(value);
}

function clampReason(reason: string): string {
  return reason.length <= STATE_REASON_MAX ? reason : `${reason.slice(0, STATE_REASON_MAX - 3)}...`;
}
