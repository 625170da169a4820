import {
  awsErrorCode,
  classifyAwsError,
  httpStatusOf,
  isMissingCredentials,
  isServiceError,
} from '../../../core/aws/aws-errors';

/**
 * What reading a deployment from the account could not read, and the permission the read needed: every failed read
 * becomes one of these (the live model is then incomplete there), never a silent gap.
 */
export interface ReadProblem {
  /** What could not be read: a role's, bucket's, key's, queue's, topic's or table's ARN, or `*` for a listing. */
  readonly resource: string;
  /** The IAM action the read needs, e.g. `iam:GetRolePolicy`. */
  readonly permission: string;
  /** The service refused the caller (403): granting `permission` fixes it. */
  readonly accessDenied: boolean;
  /** The error, `Code [HTTP status]: message`. */
  readonly detail: string;
}

/** Collects ReadProblems while a deployment is read. */
export class ReadProblems {
  readonly all: ReadProblem[] = [];

  /**
   * Runs one read; an answer from the service (or missing credentials) becomes a ReadProblem and `undefined`.
   * Anything else (a bug) is rethrown.
   */
  async attempt<T>(permission: string, resource: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (!isServiceError(error) && !isMissingCredentials(error)) throw error;
      this.add(permission, resource, error);
      return undefined;
    }
  }

  add(permission: string, resource: string, error: unknown): void {
    const kind = classifyAwsError(error);
    this.all.push({
      resource,
      permission,
      accessDenied: kind === 'access-denied',
      detail: describe(error),
    });
  }

  /** Records the problems of `from` (a managed policy) again for `to` (a role that attaches it). */
  reassign(from: string, to: string): void {
    for (const problem of this.all.filter((p) => p.resource === from))
      this.all.push({ ...problem, resource: to });
  }

  /** A resource the deployment should have but the account does not. */
  missing(permission: string, resource: string, detail: string): void {
    this.all.push({ resource, permission, accessDenied: false, detail });
  }
}

/** `Code [HTTP status]: message`, the code as core/aws/aws-errors reads it. */
function describe(error: unknown): string {
  const code = awsErrorCode(error) ?? 'Error';
  const status = httpStatusOf(error);
  const message = error instanceof Error && error.message !== code ? `: ${error.message}` : '';
  return `${code}${status ? ` [HTTP ${status}]` : ''}${message}`;
}

/** Every page of a paginated listing: `page(token)` returns its items and the next token (undefined: done). */
export async function allPages<T>(
  page: (token: string | undefined) => Promise<{ items: readonly T[] | undefined; next: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    items.push(...(result.items ?? []));
    token = result.next;
  } while (token !== undefined);
  return items;
}

/** A policy document as IAM returns it (URL-encoded JSON) or as S3, KMS, SQS and SNS return it (JSON). */
export function parsePolicy<T>(text: string): T {
  return JSON.parse(text.trimStart().startsWith('{') ? text : decodeURIComponent(text)) as T;
}
