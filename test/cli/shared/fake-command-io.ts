import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { CommandIo } from '../../../cli/shared/command-io';

/** A CommandIo that records its output, at a fixed time, with clients aws-sdk-client-mock intercepts. */
export interface RecordingCommandIo extends CommandIo {
  readonly stdout: string[];
  readonly stderr: string[];
}

export const NOW = new Date('2026-11-23T12:00:00Z');

export function recordingCommandIo(overrides: Partial<CommandIo> = {}): RecordingCommandIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const config = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    env: {},
    now: () => NOW,
    createClients: () => ({
      s3: new S3Client(config),
      sts: () => new STSClient(config),
      kms: () => new KMSClient(config),
      sqs: () => new SQSClient(config),
      destroy: () => undefined,
    }),
    ...overrides,
  };
}

/** An SDK-shaped service error. */
export function serviceError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

/** What the SDK's default credential chain throws when it finds nothing. */
export function missingCredentials(): Error {
  return Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });
}

/** `n` days before NOW. */
export function daysAgo(n: number): Date {
  return new Date(NOW.getTime() - n * 86_400_000);
}
