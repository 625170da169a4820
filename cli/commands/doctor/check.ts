import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import type { StowageConfig } from '../../../lib/config';
import { describeError } from '../../shared/service-error';

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

/** The outcome of one check: what was checked, the verdict, what was seen and, unless it passed, what to do. */
export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was seen (PASS, FAIL) or why the check could not run (SKIP). */
  readonly detail: string;
  /** One-line fix (FAIL) or how to run the check after all (SKIP). */
  readonly hint?: string;
}

/** What every doctor check may use: the env's config and the clients, created once for the run. */
export interface DoctorContext {
  readonly config: StowageConfig;
  readonly region: string;
  /** S3-compatible server when set: checks it cannot answer are SKIP, never PASS. */
  readonly endpoint?: string;
  readonly s3: S3Client;
  sts(): STSClient;
  kms(): KMSClient;
  sqs(): SQSClient;
  readonly now: () => Date;
}

export function pass(name: string, detail: string): CheckResult {
  return { name, status: 'PASS', detail };
}

export function fail(name: string, detail: string, hint: string): CheckResult {
  return { name, status: 'FAIL', detail, hint };
}

export function skip(name: string, detail: string, hint?: string): CheckResult {
  return hint === undefined ? { name, status: 'SKIP', detail } : { name, status: 'SKIP', detail, hint };
}

/**
 * Runs one check; an exception (a bug, or an error the check did not expect) becomes a FAIL with its message, so one
 * check never stops the others.
 */
export async function guard(
  name: string,
  check: () => Promise<CheckResult | CheckResult[]>,
): Promise<CheckResult[]> {
  try {
    const result = await check();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    return [
      fail(
        name,
        `the check itself failed: ${describeError(error)}`,
        'run again; if it persists, report it with this output',
      ),
    ];
  }
}

/** The CDK deploy command of one of the env's stacks, for hints. */
export function deployHint(config: Pick<StowageConfig, 'envName'>, part: string): string {
  return `npx cdk deploy Stowage-${config.envName}-${part} -c env=${config.envName}`;
}
