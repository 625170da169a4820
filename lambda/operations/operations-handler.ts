import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';

import { describeError } from '../../core/backup/verify/error-message';
import type { HandlerMetrics } from '../runtime/batch-metrics';
import type { PipelineLogger } from '../../core/logging/pipeline-logger';
import { parseAlarmEvent, type AlarmStateValue, type AlarmTransition } from './alarm-event';
import { withRearm } from './alarm-rearm';
import { reverifyBackups } from './backup-reverification';
import { redriveDeadLetterQueue } from './dlq-redrive';
import { OperationFailedError, type OperationOutcome } from './operation-outcome';
import { planFor, type OperationPlan } from './operation-plan';
import type { OperationsHandlerConfig } from './operations-config';
import { OPERATIONS_METRICS } from './operations-metrics';
import { describePlan, failureReport, outcomeReport, publishReport } from './operations-report';
import { settleVerificationFailures } from './verification-failures';

/**
 * How long a handled transition is remembered: longer than EventBridge's 24 h of delivery retries plus Lambda's
 * 6 h maximum event age, so no repeat of a transition can act twice.
 */
export const TRANSITION_MEMORY_SECONDS = 48 * 60 * 60;
/** Prefix of the idempotency keys (stable across function renames; the table is per environment). */
export const IDEMPOTENCY_KEY_PREFIX = 'stowage-operations';

export interface OperationsHandlerDependencies {
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly sns: SNSClient;
  /** Sets an alarm back to OK after a bounded run left messages in its queue. */
  readonly cloudwatch: CloudWatchClient;
  /** Where handled transitions are recorded (DynamoDBPersistenceLayer in Lambda). */
  readonly persistenceStore: BasePersistenceLayer;
  readonly config: Omit<OperationsHandlerConfig, 'idempotencyTable'>;
  readonly logger: PipelineLogger;
  readonly metrics: HandlerMetrics;
  /** Long-poll wait of each DLQ receive. Default 1 second. */
  readonly receiveWaitTimeSeconds?: number;
  /** Epoch milliseconds now. Default Date.now. */
  readonly now?: () => number;
}

export type OperationsResult =
  | { readonly status: 'ignored'; readonly alarmName: string; readonly state: AlarmStateValue }
  | {
      readonly status: 'handled';
      readonly alarmName: string;
      /** False when this transition had been handled before and nothing was done again. */
      readonly acted: boolean;
      readonly outcome: OperationOutcome;
    };

/** The hashed part of an idempotency record: one transition, one step. */
interface StepKey {
  readonly transition: string;
  readonly step: 'actions' | 'report';
}

/** Tells the handler whether a wrapped step ran or its stored result was returned. */
interface RunTracker {
  ran: boolean;
}

/** A failed report about a completed action. */
export class OperationsReportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperationsReportError';
  }
}

/**
 * The alarm-driven operations handler, for EventBridge "CloudWatch Alarm State Change" events. Only transitions to
 * ALARM act: a DLQ alarm redrives the DLQ, a backup alarm re-runs the verifier, the verification failures queue's
 * alarm runs a full verification and then settles the records it supersedes; any other alarm is reported. A
 * bounded run that leaves messages in its alarm's queue sets the alarm back to OK, so that it fires again and the
 * next run follows by itself.
 *
 * Two idempotent steps per transition (key: alarm name + state timestamp), both recorded in the persistence store:
 * 1. the actions, whose outcome is stored; a repeat of the transition gets the stored outcome and acts no more;
 * 2. the SNS report of that outcome; a repeat does not publish again.
 * A failed step leaves no record, so a retry does it again: a failed action is reported, then thrown (the retry acts
 * again, on what is left), and a failed report after completed actions is thrown too (the retry reports the stored
 * outcome without acting twice).
 */
export function createOperationsHandler(
  deps: OperationsHandlerDependencies,
): (event: unknown, context?: Context) => Promise<OperationsResult> {
  const { config, logger, metrics } = deps;
  const idempotencyConfig = new IdempotencyConfig({ expiresAfterSeconds: TRANSITION_MEMORY_SECONDS });
  const idempotency = {
    persistenceStore: deps.persistenceStore,
    config: idempotencyConfig,
    keyPrefix: IDEMPOTENCY_KEY_PREFIX,
    // Only the StepKey (argument 0) is hashed. Powertools takes a second argument that has `step` or
    // `getRemainingTimeInMillis` for a Lambda context: plans and outcomes have neither.
    dataIndexArgument: 0,
  };

  const actOnce = makeIdempotent(
    async (
      _key: StepKey,
      plan: OperationPlan,
      transition: AlarmTransition,
      tracker: RunTracker,
    ): Promise<OperationOutcome> => {
      tracker.ran = true;
      return act(plan, transition);
    },
    idempotency,
  );

  const reportOnce = makeIdempotent(
    async (
      _key: StepKey,
      outcome: OperationOutcome,
      transition: AlarmTransition,
      tracker: RunTracker,
    ): Promise<{ readonly messageId: string | null }> => {
      tracker.ran = true;
      const messageId = await publishReport(
        deps.sns,
        config.operationsTopicArn,
        outcomeReport(config.envName, transition, outcome),
      );
      return { messageId: messageId ?? null };
    },
    idempotency,
  );

  const waitTime =
    deps.receiveWaitTimeSeconds !== undefined ? { waitTimeSeconds: deps.receiveWaitTimeSeconds } : {};

  async function act(plan: OperationPlan, transition: AlarmTransition): Promise<OperationOutcome> {
    switch (plan.kind) {
      case 'redrive': {
        const outcome = await redriveDeadLetterQueue(deps, {
          route: plan.route,
          holdingQueueUrl: config.holdingQueueUrl,
          maxMessages: config.redriveMaxMessages,
          poisonMaxRedrives: config.poisonMaxRedrives,
          alarmName: transition.alarmName,
          ...waitTime,
        });
        // Whatever is visible after the run (the rest past the limit, or messages that failed again and arrived
        // while it ran) keeps the alarm in ALARM without a new transition: re-arm so the next period starts a run.
        return withRearm(deps, outcome, {
          alarmName: transition.alarmName,
          queueUrl: plan.route.deadLetterQueueUrl,
          queueName: plan.route.deadLetterQueueName,
          run: `redrive of ${plan.route.deadLetterQueueName} for the ALARM transition at ${transition.at}`,
          why: outcome.limitReached
            ? `stopped at its limit of ${outcome.maxMessages} messages`
            : 'found messages that arrived in the DLQ while it ran',
          countVisible: true,
        });
      }
      case 'settle-verification-failures': {
        const queue = config.verificationFailuresQueue;
        const outcome = await settleVerificationFailures(
          { ...deps, verifierFunction: config.verifierFunction, now: deps.now ?? Date.now },
          { queue, maxMessages: config.redriveMaxMessages, at: transition.at, ...waitTime },
        );
        if (!outcome.limitReached && outcome.leftForNextRun === 0) return outcome;
        return withRearm(deps, outcome, {
          alarmName: transition.alarmName,
          queueUrl: queue.url,
          queueName: queue.name,
          run: `settling of verification failure records for the ALARM transition at ${transition.at}`,
          why: outcome.limitReached
            ? `stopped at its limit of ${outcome.maxMessages} records`
            : 'left records sent after its verification started',
          leftBehind: outcome.leftForNextRun,
          countVisible: outcome.limitReached,
        });
      }
      case 'reverify':
        return reverifyBackups(
          { ...deps, verifierFunction: config.verifierFunction },
          { sources: plan.sources, at: transition.at },
        );
      case 'reverify-all':
        return reverifyBackups(
          { ...deps, verifierFunction: config.verifierFunction },
          { sources: 'all', at: transition.at },
        );
      case 'report-only':
        return { kind: 'report-only', note: plan.note };
    }
  }

  async function handle(event: unknown, context?: Context): Promise<OperationsResult> {
    const transition = parseAlarmEvent(event);
    const log = { alarmName: transition.alarmName, state: transition.state, timestamp: transition.timestamp };
    if (transition.state !== 'ALARM') {
      logger.info('alarm state change ignored: only ALARM transitions act', log);
      return { status: 'ignored', alarmName: transition.alarmName, state: transition.state };
    }
    if (context) idempotencyConfig.registerLambdaContext(context);

    const plan = planFor(transition, {
      routes: config.routes,
      verificationFailuresQueueName: config.verificationFailuresQueue.name,
      backupSources: config.backupSources.map((source) => source.name),
    });
    const transitionKey = `${transition.alarmName}#${transition.timestamp}`;
    logger.info('alarm transition to ALARM', { ...log, action: describePlan(plan) });

    const actions: RunTracker = { ran: false };
    let outcome: OperationOutcome;
    try {
      outcome = await actOnce({ transition: transitionKey, step: 'actions' }, plan, transition, actions);
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        // Another invocation is acting on this transition right now; the retry of this one will find its outcome.
        logger.warn('this alarm transition is being handled by another invocation', log);
        throw error;
      }
      metrics.addMetric(OPERATIONS_METRICS.OPERATIONS_FAILURES, MetricUnit.Count, 1);
      logger.error('alarm action failed', {
        ...log,
        action: describePlan(plan),
        error: describeError(error),
      });
      const partial = error instanceof OperationFailedError ? error.outcome : undefined;
      try {
        await publishReport(
          deps.sns,
          config.operationsTopicArn,
          failureReport(config.envName, transition, plan, error, partial),
        );
      } catch (reportError) {
        metrics.addMetric(OPERATIONS_METRICS.OPERATIONS_FAILURES, MetricUnit.Count, 1);
        logger.error('reporting the failed action failed', { ...log, error: describeError(reportError) });
        throw new AggregateError(
          [error, reportError],
          `alarm action failed (${describeError(error)}) and reporting it failed (${describeError(reportError)})`,
          { cause: reportError },
        );
      }
      throw error;
    }
    if (!actions.ran) logger.info('alarm transition already handled: its actions are not repeated', log);

    const report: RunTracker = { ran: false };
    try {
      await reportOnce({ transition: transitionKey, step: 'report' }, outcome, transition, report);
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        logger.warn('the report of this alarm transition is being published by another invocation', log);
        throw error;
      }
      metrics.addMetric(OPERATIONS_METRICS.OPERATIONS_FAILURES, MetricUnit.Count, 1);
      logger.error('reporting the completed action failed; a retry reports it without acting again', {
        ...log,
        error: describeError(error),
      });
      throw new OperationsReportError(
        `reporting ${transition.alarmName} to SNS failed after its actions completed: ${describeError(error)}`,
        { cause: error },
      );
    }
    logger.info(report.ran ? 'alarm transition reported' : 'alarm transition already reported', {
      ...log,
      outcome: outcome.kind,
    });
    return { status: 'handled', alarmName: transition.alarmName, acted: actions.ran, outcome };
  }

  return async (event, context) => {
    try {
      return await handle(event, context);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
