import { z } from 'zod';

import type { BackupSourceConfig } from '../../core/backup/backup-source';
import { parseBackupSourcesJson, SourceConfigError } from '../../core/backup/verify/source-config-schema';
import { describeIssues } from '../../core/events/invalid-event-error';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { HandlerConfigError, parseHandlerEnv } from '../runtime/handler-config';

/** Default of HANDLER_ENV.REDRIVE_MAX_MESSAGES: most messages one DLQ redrive moves. */
export const DEFAULT_REDRIVE_MAX_MESSAGES = 100;
/** Default of HANDLER_ENV.POISON_MAX_REDRIVES: redrives of one message after which it is parked. */
export const DEFAULT_POISON_MAX_REDRIVES = 3;
/**
 * Upper bound of REDRIVE_MAX_MESSAGES, the same as the env config's (lib/config/schema/operations.ts): a run must end within
 * the handler's timeout. (The outcome lists at most LISTED_MAX messages, so any run fits an idempotency record.)
 */
export const REDRIVE_MAX_MESSAGES_LIMIT = 10_000;

/** One DLQ the operations handler may redrive, and the queue its messages go back to. */
export interface RedriveRoute {
  /** The DLQ's name, as the `QueueName` dimension of its alarm's AWS/SQS metric. */
  readonly deadLetterQueueName: string;
  /** The DLQ's URL (its last path segment is the name). */
  readonly deadLetterQueueUrl: string;
  /** The queue whose consumer failed: redriven messages go back here. */
  readonly sourceQueueUrl: string;
}

/** A queue the handler consumes, by URL and by the name its alarm's `QueueName` dimension carries. */
export interface ConsumedQueue {
  /** The queue's name (the last path segment of its URL). */
  readonly name: string;
  /** The queue's URL. */
  readonly url: string;
}

export interface OperationsHandlerConfig {
  /** The DLQs that may be redriven; none: DLQ alarms are only reported. */
  readonly routes: readonly RedriveRoute[];
  /** Where poison messages are parked. */
  readonly holdingQueueUrl: string;
  /**
   * The Backups stack's verification failures queue: when its alarm fires, the handler runs a full verification
   * and then deletes the records that were waiting there.
   */
  readonly verificationFailuresQueue: ConsumedQueue;
  /** Most messages one redrive (or one settling of verification failure records) receives (default 100). */
  readonly redriveMaxMessages: number;
  /** A message already redriven this many times is parked instead (default 3). */
  readonly poisonMaxRedrives: number;
  /** Name or ARN of the backup verification function. */
  readonly verifierFunction: string;
  /** DynamoDB table of handled alarm transitions (partition key `id`, TTL `expiration`). */
  readonly idempotencyTable: string;
  /** The operations SNS topic every action is reported to. */
  readonly operationsTopicArn: string;
  /** Environment name, for reports, logs and metrics. */
  readonly envName: string;
  /** The backup sources the verifier knows (a backup alarm naming another source is only reported). */
  readonly backupSources: readonly BackupSourceConfig[];
}

const required = z.string().trim().min(1, 'required');

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `a whole number between ${min} and ${max}`);

/** An SQS queue name (standard queues). */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

const queueUrl = z.url({
  protocol: /^https?$/,
  error: 'a queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name>',
});

const routeSchema = z
  .object({
    deadLetterQueueName: z.string().regex(QUEUE_NAME, 'an SQS queue name'),
    deadLetterQueueUrl: queueUrl,
    sourceQueueUrl: queueUrl,
  })
  .superRefine((route, context) => {
    if (lastPathSegment(route.deadLetterQueueUrl) !== route.deadLetterQueueName) {
      context.addIssue({
        code: 'custom',
        path: ['deadLetterQueueUrl'],
        message: `must end with the queue name '${route.deadLetterQueueName}'`,
      });
    }
    if (route.sourceQueueUrl === route.deadLetterQueueUrl) {
      context.addIssue({
        code: 'custom',
        path: ['sourceQueueUrl'],
        message: 'must differ from deadLetterQueueUrl',
      });
    }
  });

const routesSchema = z.array(routeSchema).superRefine((routes, context) => {
  const seen = new Set<string>();
  routes.forEach((route, index) => {
    if (seen.has(route.deadLetterQueueName)) {
      context.addIssue({
        code: 'custom',
        path: [index, 'deadLetterQueueName'],
        message: `duplicate route for '${route.deadLetterQueueName}'`,
      });
    }
    seen.add(route.deadLetterQueueName);
  });
});

const schema = z.object({
  [HANDLER_ENV.REDRIVE_ROUTES]: required,
  [HANDLER_ENV.HOLDING_QUEUE_URL]: queueUrl,
  [HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL]: queueUrl.refine(
    (url) => URL.canParse(url) && QUEUE_NAME.test(queueNameOf(url)),
    'a queue URL that ends with the queue name',
  ),
  [HANDLER_ENV.REDRIVE_MAX_MESSAGES]: wholeNumber(1, REDRIVE_MAX_MESSAGES_LIMIT).default(
    DEFAULT_REDRIVE_MAX_MESSAGES,
  ),
  [HANDLER_ENV.POISON_MAX_REDRIVES]: wholeNumber(0, 100).default(DEFAULT_POISON_MAX_REDRIVES),
  [HANDLER_ENV.VERIFIER_FUNCTION]: z
    .string()
    .regex(
      /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/,
      'a Lambda function name or ARN',
    ),
  [HANDLER_ENV.IDEMPOTENCY_TABLE]: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name'),
  [HANDLER_ENV.OPERATIONS_TOPIC_ARN]: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN'),
  [HANDLER_ENV.ENV_NAME]: required,
  [HANDLER_ENV.BACKUP_SOURCES]: required,
});

/** Reads the operations handler's environment (called once, at cold start); every error names its variable. */
export function loadOperationsConfig(
  env: Readonly<Record<string, string | undefined>>,
): OperationsHandlerConfig {
  const values = parseHandlerEnv('operations', schema, env);
  const problems: string[] = [];

  const routes = parseRoutes(values[HANDLER_ENV.REDRIVE_ROUTES], problems);
  const holdingQueueUrl = values[HANDLER_ENV.HOLDING_QUEUE_URL];
  routes?.forEach((route, index) => {
    if (route.deadLetterQueueUrl === holdingQueueUrl || route.sourceQueueUrl === holdingQueueUrl) {
      problems.push(
        `${HANDLER_ENV.HOLDING_QUEUE_URL}: must differ from every route's queues (route ${index} uses it)`,
      );
    }
  });

  const failuresUrl = values[HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL];
  if (failuresUrl === holdingQueueUrl) {
    problems.push(`${HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL}: must differ from the holding queue`);
  }
  routes?.forEach((route, index) => {
    // It may be a route's source queue (its own DLQ is redriven into it), never a DLQ: one alarm, one action.
    if (route.deadLetterQueueUrl === failuresUrl) {
      problems.push(
        `${HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL}: must not be a dead-letter queue of the routes (route ${index} is it)`,
      );
    }
  });

  let backupSources: BackupSourceConfig[] | undefined;
  try {
    backupSources = parseBackupSourcesJson(values[HANDLER_ENV.BACKUP_SOURCES]);
  } catch (error) {
    if (!(error instanceof SourceConfigError)) throw error;
    problems.push(`${HANDLER_ENV.BACKUP_SOURCES}: ${error.message}`);
  }

  if (problems.length > 0 || !routes || !backupSources) {
    throw new HandlerConfigError(`invalid environment for the operations handler: ${problems.join('; ')}`);
  }
  return {
    routes,
    holdingQueueUrl,
    verificationFailuresQueue: { name: queueNameOf(failuresUrl), url: failuresUrl },
    redriveMaxMessages: values[HANDLER_ENV.REDRIVE_MAX_MESSAGES],
    poisonMaxRedrives: values[HANDLER_ENV.POISON_MAX_REDRIVES],
    verifierFunction: values[HANDLER_ENV.VERIFIER_FUNCTION],
    idempotencyTable: values[HANDLER_ENV.IDEMPOTENCY_TABLE],
    operationsTopicArn: values[HANDLER_ENV.OPERATIONS_TOPIC_ARN],
    envName: values[HANDLER_ENV.ENV_NAME],
    backupSources,
  };
}

function parseRoutes(json: string, problems: string[]): RedriveRoute[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    problems.push(`${HANDLER_ENV.REDRIVE_ROUTES}: not valid JSON: ${error.message}`);
    return undefined;
  }
  const parsed = routesSchema.safeParse(value);
  if (!parsed.success) {
    problems.push(`${HANDLER_ENV.REDRIVE_ROUTES}: ${describeIssues(parsed.error.issues)}`);
    return undefined;
  }
  return parsed.data;
}

function lastPathSegment(url: string): string {
  return (
    new URL(url).pathname
      .split('/')
      .filter((segment) => segment !== '')
      .pop() ?? ''
  );
}

/** The name a queue URL ends with (`…/<account>/<name>`); empty when it ends with a slash. */
function queueNameOf(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? '';
}
