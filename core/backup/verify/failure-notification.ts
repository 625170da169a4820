import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

import { failureReasons, isFailure, type VerificationReport } from './verification-report';

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
const SUBJECT_MAX = 100;

/** The subject and message operations receive when a verification failed. */
export function failureSummary(
  report: VerificationReport,
  reportLocation?: string,
): { subject: string; message: string } {
  const failures = report.sources.filter(isFailure);
  const names = failures.map((source) => source.source).join(', ');
  const subject = `Stowage ${report.env}: backup verification failed for ${failures.length} of ${report.sources.length} sources (${names})`;
  const lines = [
    `Backup verification in ${report.env} at ${report.at}: ${failures.length} of ${report.sources.length} sources failed.`,
    '',
  ];
  for (const source of failures) {
    lines.push(
      `${source.source} (${source.format}): ${source.status}${source.key ? ` - ${source.key}` : ''}`,
    );
    for (const reason of failureReasons(source)) lines.push(`  - ${reason}`);
  }
  if (reportLocation) lines.push('', `Full report: ${reportLocation}`);
  return { subject: clampSubject(subject), message: lines.join('\n') };
}

/** Publishes the failure summary; errors are the caller's (an SNS failure must fail the invocation). */
export async function notifyFailure(
  sns: SNSClient,
  topicArn: string,
  report: VerificationReport,
  reportLocation?: string,
): Promise<void> {
  const { subject, message } = failureSummary(report, reportLocation);
  await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
}

function clampSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}
