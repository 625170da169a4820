import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

import { describeError } from '../../core/backup/verify/error-message';
import { isFailure, type VerificationReport } from '../../core/backup/verify/verification-report';
import type { AlarmTransition } from './alarm-event';
import type { OperationPlan } from './operation-plan';
import type {
  ActionOutcome,
  AlarmRearm,
  OperationOutcome,
  RedriveOutcome,
  ReverifyOutcome,
  ReverifyRun,
  SettleOutcome,
} from './operation-outcome';

/** SNS subjects must be shorter than 100 characters, printable ASCII, one line. */
const SUBJECT_MAX = 99;
/** SNS messages are at most 256 KiB; a little is kept for the truncation note. */
const MESSAGE_MAX_BYTES = 256 * 1024 - 512;

/** What goes to the operations topic. */
export interface OperationsReport {
  readonly subject: string;
  readonly message: string;
}

/** The report of a completed action (or of an alarm that needed none). */
export function outcomeReport(
  env: string,
  transition: AlarmTransition,
  outcome: OperationOutcome,
): OperationsReport {
  const lines = alarmLines(transition);
  switch (outcome.kind) {
    case 'redrive':
      lines.push(...redriveLines(outcome));
      return report(
        `Stowage ${env}: redrove ${outcome.redriven}, parked ${outcome.parkedCount} from ${outcome.deadLetterQueueName}`,
        lines,
      );
    case 'reverify':
      lines.push(...reverifyLines(outcome));
      return report(`Stowage ${env}: ${reverifySubject(outcome)}`, lines);
    case 'settle':
      lines.push(...settleLines(outcome));
      return report(`Stowage ${env}: ${settleSubject(outcome)}`, lines);
    case 'report-only':
      lines.push('', `Action: none (${outcome.note}).`);
      return report(`Stowage ${env}: ${transition.state} ${transition.alarmName}`, lines);
  }
}

/** The report of an action that failed, with what it had done before failing. */
export function failureReport(
  env: string,
  transition: AlarmTransition,
  plan: OperationPlan,
  error: unknown,
  partial?: ActionOutcome,
): OperationsReport {
  const lines = alarmLines(transition);
  lines.push('', `Action: ${describePlan(plan)}`, `FAILED: ${describeError(error)}`);
  if (partial?.kind === 'redrive') lines.push(...redriveLines(partial));
  if (partial?.kind === 'reverify') lines.push(...reverifyLines(partial));
  if (partial?.kind === 'settle') lines.push(...settleLines(partial));
  lines.push(
    '',
    'This invocation fails and Lambda retries it; after the last retry the event goes to the on-failure',
    'destination of the function. Nothing that was not moved has been deleted.',
  );
  return report(`Stowage ${env}: operations FAILED for ${transition.alarmName}`, lines);
}

/** Publishes a report; returns the SNS message id. Errors are the caller's. */
export async function publishReport(
  sns: SNSClient,
  topicArn: string,
  { subject, message }: OperationsReport,
): Promise<string | undefined> {
  const response = await sns.send(
    new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }),
  );
  return response.MessageId;
}

/** What the plan does, in one line. */
export function describePlan(plan: OperationPlan): string {
  switch (plan.kind) {
    case 'redrive':
      return `redrive dead-letter queue ${plan.route.deadLetterQueueName} to ${plan.route.sourceQueueUrl}`;
    case 'reverify':
      return `re-verify backup source${plan.sources.length > 1 ? 's' : ''} ${plan.sources.join(', ')}`;
    case 'reverify-all':
      return 're-verify every backup source (a full verifier run)';
    case 'settle-verification-failures':
      return 'a full verifier run, then delete the verification failure records it supersedes';
    case 'report-only':
      return `none (${plan.note})`;
  }
}

function alarmLines(transition: AlarmTransition): string[] {
  const lines = [
    `Alarm ${transition.alarmName} went ${transition.previousState ? `from ${transition.previousState} ` : ''}to ${transition.state} at ${transition.at}.`,
    `Reason: ${transition.reason || '(none given)'}`,
  ];
  if (transition.description) lines.push(`Description: ${transition.description}`);
  if (transition.composite) lines.push('Watches: other alarms (composite alarm)');
  for (const metric of transition.metrics) {
    const dimensions = Object.entries(metric.dimensions)
      .map(([name, value]) => `${name}=${value}`)
      .join(', ');
    lines.push(`Watches: ${metric.namespace} ${metric.name}${dimensions ? ` (${dimensions})` : ''}`);
  }
  return lines;
}

function redriveLines(outcome: RedriveOutcome): string[] {
  const lines = [
    '',
    `Redrive of dead-letter queue ${outcome.deadLetterQueueName} (at most ${outcome.maxMessages} messages per run):`,
    `  received:  ${outcome.received}`,
    `  redriven:  ${outcome.redriven}, to ${outcome.sourceQueueUrl}`,
    `  parked:    ${outcome.parkedCount}${outcome.parkedCount > 0 ? `, in ${outcome.holdingQueueUrl}` : ''}`,
  ];
  for (const message of outcome.parked) {
    lines.push(
      `    - ${message.messageId} (holding queue id ${message.holdingMessageId}): ${message.reason}` +
        (message.receiveCount !== undefined ? `; DLQ receive count ${message.receiveCount}` : ''),
    );
  }
  if (outcome.parkedCount > outcome.parked.length) {
    lines.push(
      `    ... and ${outcome.parkedCount - outcome.parked.length} more (each is in the handler's log)`,
    );
  }
  lines.push(`  failures:  ${outcome.failureCount === 0 ? 'none' : outcome.failureCount}`);
  for (const failure of outcome.failures) {
    lines.push(`    - ${failure.step}${failure.messageId ? ` ${failure.messageId}` : ''}: ${failure.error}`);
  }
  if (outcome.failureCount > outcome.failures.length) {
    lines.push(
      `    ... and ${outcome.failureCount - outcome.failures.length} more (each is in the handler's log)`,
    );
  }
  if (outcome.limitReached) {
    lines.push(
      '',
      `The run stopped at its limit of ${outcome.maxMessages} messages.`,
      ...rearmLines(outcome.rearm, outcome.deadLetterQueueName),
    );
  }
  return lines;
}

function settleLines(outcome: SettleOutcome): string[] {
  const { verification } = outcome;
  const lines = [
    '',
    `Verification failures queue ${outcome.queueName} (at most ${outcome.maxMessages} records per run):`,
    `  full verification started ${outcome.startedAt}: ` +
      (verification
        ? `completed, ${verification.report.ok ? 'ok' : 'with FAILED sources (each keeps its own alarms)'}`
        : `FAILED: ${outcome.verificationError ?? '(no details)'}`),
  ];
  if (!verification) {
    lines.push('  No record was received or deleted: the records stay until a verification completes.');
    return lines;
  }
  lines.push(
    `  received:  ${outcome.received}`,
    `  settled:   ${outcome.settled} (deleted, each logged with its body: runs that never completed, superseded by this verification)`,
    `  left:      ${outcome.leftForNextRun}${outcome.leftForNextRun > 0 ? ' (sent after the verification started: for the next run)' : ''}`,
    `  failures:  ${outcome.failureCount === 0 ? 'none' : outcome.failureCount}`,
  );
  for (const failure of outcome.failures) {
    lines.push(`    - ${failure.step}${failure.messageId ? ` ${failure.messageId}` : ''}: ${failure.error}`);
  }
  if (outcome.failureCount > outcome.failures.length) {
    lines.push(
      `    ... and ${outcome.failureCount - outcome.failures.length} more (each is in the handler's log)`,
    );
  }
  if (outcome.limitReached || outcome.leftForNextRun > 0) {
    lines.push(
      '',
      outcome.limitReached
        ? `The run stopped at its limit of ${outcome.maxMessages} records.`
        : 'Records were left for the next run.',
      ...rearmLines(outcome.rearm, outcome.queueName),
    );
  }
  lines.push(
    '',
    ...runLines(verification),
    '',
    'Full report (JSON):',
    JSON.stringify(verification.report, null, 2),
  );
  return lines;
}

/** What became of the alarm after a bounded run that may have left messages behind. */
function rearmLines(rearm: AlarmRearm | undefined, queueName: string): string[] {
  if (!rearm) return [`More may remain in ${queueName}.`];
  switch (rearm.status) {
    case 'rearmed':
      return [
        `${rearm.remaining} message(s) remain in ${queueName}: alarm ${rearm.alarmName} was set to OK, so its next`,
        'evaluation raises it again and starts another run.',
      ];
    case 'not-needed':
      return [`Nothing remains in ${queueName}: the alarm clears by itself.`];
    case 'failed':
      return [
        `${rearm.remaining === null ? 'Messages may' : `${rearm.remaining} message(s)`} remain in ${queueName}, and re-arming alarm ${rearm.alarmName} FAILED: ${rearm.error ?? '(no details)'}.`,
        'Until it is set to OK it stays in ALARM and starts no further run. If the retries fail too:',
        `  aws cloudwatch set-alarm-state --alarm-name ${rearm.alarmName} --state-value OK --state-reason "start another run"`,
      ];
  }
}

function reverifyLines(outcome: ReverifyOutcome): string[] {
  const lines: string[] = [];
  for (const run of outcome.runs) lines.push('', ...runLines(run));
  for (const failure of outcome.failures) {
    lines.push('', `Re-verification of ${failure.source ?? 'every source'} FAILED: ${failure.error}`);
  }
  for (const run of outcome.runs) {
    lines.push(
      '',
      `Full report${run.source ? ` for ${run.source}` : ''} (JSON):`,
      JSON.stringify(run.report, null, 2),
    );
  }
  return lines;
}

function runLines({ source, report }: ReverifyRun): string[] {
  const lines = [
    `Re-verification of ${source ?? 'every source'} as of ${report.at} (env ${report.env}, bucket ${report.bucket}): ${report.ok ? 'ok' : 'FAILED'}`,
  ];
  for (const entry of report.sources) {
    lines.push(`${entry.source} (${entry.format}): ${entry.status}${entry.key ? ` - ${entry.key}` : ''}`);
    const facts = [
      entry.takenAt ? `taken ${entry.takenAt}` : undefined,
      entry.ageHours !== undefined ? `${entry.ageHours} h old` : undefined,
      entry.sizeBytes !== undefined ? `${entry.sizeBytes} bytes` : undefined,
    ].filter((fact) => fact !== undefined);
    if (facts.length > 0) lines.push(`  ${facts.join(', ')}`);
    for (const check of entry.checks) {
      const mark = check.skipped ? 'skipped' : check.ok ? 'ok' : check.unverified ? 'UNVERIFIED' : 'FAILED';
      lines.push(`  [${mark}] ${check.name}: ${check.detail}`);
    }
    if (entry.error) lines.push(`  error: ${entry.error}`);
  }
  return lines;
}

function reverifySubject(outcome: ReverifyOutcome): string {
  if (outcome.runs.length === 1 && outcome.runs[0]!.source) {
    const run = outcome.runs[0]!;
    return `re-verified ${run.source}: ${run.report.ok ? 'ok' : 'FAILED'}`;
  }
  const reports: VerificationReport[] = outcome.runs.map((run) => run.report);
  const entries = reports.flatMap((report) => report.sources);
  const failed = entries.filter(isFailure).length;
  const what = outcome.runs.every((run) => run.source) ? 'backup sources' : 'all backups';
  return failed === 0
    ? `re-verified ${what}: ${entries.length} ok`
    : `re-verified ${what}: ${failed} of ${entries.length} FAILED`;
}

function settleSubject(outcome: SettleOutcome): string {
  const records = `${outcome.settled} verification failure record${outcome.settled === 1 ? '' : 's'}`;
  const verification = outcome.verification
    ? reverifySubject({ kind: 'reverify', runs: [outcome.verification], failures: [] })
    : 'full verification FAILED';
  return `settled ${records}; ${verification}`;
}

function report(subject: string, lines: string[]): OperationsReport {
  return { subject: clampSubject(subject), message: clampMessage(lines.join('\n')) };
}

function clampSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

function clampMessage(message: string): string {
  if (Buffer.byteLength(message) <= MESSAGE_MAX_BYTES) return message;
  const kept = Buffer.from(message)
    .subarray(0, MESSAGE_MAX_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${kept}\n\n(truncated: the message exceeded the SNS limit; the handler's log has every detail)`;
}
