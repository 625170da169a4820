import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';

import { describeError } from '../../core/backup/verify/error-message';
import { SOURCE_STATUSES, type VerificationReport } from '../../core/backup/verify/verification-report';
import { describeIssues } from '../../core/events/invalid-event-error';
import type { HandlerMetrics } from '../runtime/batch-metrics';
import type { PipelineLogger } from '../../core/logging/pipeline-logger';
import { OperationFailedError, type ReverifyOutcome, type ReverifyRun } from './operation-outcome';
import { OPERATIONS_METRICS } from './operations-metrics';

export interface ReverifyDependencies {
  readonly lambda: LambdaClient;
  /** Name or ARN of the verification function. */
  readonly verifierFunction: string;
  readonly logger: PipelineLogger;
  readonly metrics: HandlerMetrics;
}

export interface ReverifyRequest {
  /** Sources to re-verify one by one; `all` for one full run. */
  readonly sources: readonly string[] | 'all';
  /** The alarm transition's time (ISO 8601): a single source is judged as of then. */
  readonly at: string;
}

/** The verifier answered with a function error, an unexpected status or something that is not a report. */
export class VerifierError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifierError';
  }
}

/** What the operations handler relies on in a VerificationReport; everything else is kept as it came. */
const reportSchema = z.looseObject({
  env: z.string(),
  at: z.string(),
  bucket: z.string(),
  ok: z.boolean(),
  sources: z.array(
    z.looseObject({
      source: z.string(),
      format: z.string(),
      status: z.enum(SOURCE_STATUSES),
      checks: z.array(z.looseObject({ name: z.string(), ok: z.boolean(), detail: z.string() })),
    }),
  ),
});

/**
 * Invokes the backup verification function synchronously (RequestResponse): `{ source, at }` per source, or `{}`
 * for a full run, and returns the reports. Stops at the first invocation that fails (an SDK error, a FunctionError,
 * or an answer that is not a report) with an OperationFailedError carrying the reports received before it.
 */
export async function reverifyBackups(
  deps: ReverifyDependencies,
  request: ReverifyRequest,
): Promise<ReverifyOutcome> {
  const runs: ReverifyRun[] = [];
  const targets: (string | undefined)[] = request.sources === 'all' ? [undefined] : [...request.sources];
  for (const source of targets) {
    const payload: Record<string, string> = source === undefined ? {} : { source, at: request.at };
    try {
      const report = await invokeVerifier(deps, payload);
      runs.push({ ...(source === undefined ? {} : { source }), report });
      deps.metrics.addMetric(OPERATIONS_METRICS.REVERIFICATIONS_RUN, MetricUnit.Count, 1);
      deps.logger.info('backup re-verification ran', {
        verifier: deps.verifierFunction,
        source: source ?? '(all)',
        ok: report.ok,
        statuses: report.sources.map((entry) => `${entry.source}: ${entry.status}`),
      });
    } catch (error) {
      const message = describeError(error);
      deps.logger.error('backup re-verification failed', {
        verifier: deps.verifierFunction,
        source: source ?? '(all)',
        error: message,
      });
      throw new OperationFailedError(
        `re-verification of ${source ?? 'all backup sources'} failed: ${message}`,
        {
          kind: 'reverify',
          runs,
          failures: [{ ...(source === undefined ? {} : { source }), error: message }],
        },
        { cause: error },
      );
    }
  }
  return { kind: 'reverify', runs, failures: [] };
}

async function invokeVerifier(
  deps: ReverifyDependencies,
  payload: Record<string, string>,
): Promise<VerificationReport> {
  const response = await deps.lambda.send(
    new InvokeCommand({
      FunctionName: deps.verifierFunction,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) {
    throw new VerifierError(`the verifier failed (${response.FunctionError}): ${functionErrorOf(text)}`);
  }
  if (response.StatusCode !== undefined && (response.StatusCode < 200 || response.StatusCode > 299)) {
    throw new VerifierError(`the verifier answered with status ${response.StatusCode}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new VerifierError(`the verifier's answer is not JSON: ${preview(text)}`);
  }
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) {
    throw new VerifierError(
      `the verifier's answer is not a verification report: ${describeIssues(parsed.error.issues)}`,
    );
  }
  return value as VerificationReport;
}

/** `errorType: errorMessage` of a Lambda function error payload, else the payload itself. */
function functionErrorOf(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (typeof value === 'object' && value !== null) {
    const { errorType, errorMessage } = value as { errorType?: unknown; errorMessage?: unknown };
    if (typeof errorMessage === 'string') {
      return typeof errorType === 'string' ? `${errorType}: ${errorMessage}` : errorMessage;
    }
  }
  return preview(text) || '(no details)';
}

function preview(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}
