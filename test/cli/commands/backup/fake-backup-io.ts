import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { BackupCommandIo } from '../../../../cli/commands/backup/backup-client';

/** A backup command's CommandIo that records its output, with clients aws-sdk-client-mock can intercept and recorded sleeps. */
export interface RecordingIo extends BackupCommandIo {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly progressText: string[];
  readonly sleeps: number[];
}

export function recordingIo(overrides: Partial<BackupCommandIo> = {}): RecordingIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const progressText: string[] = [];
  const sleeps: number[] = [];
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return {
    stdout,
    stderr,
    progressText,
    sleeps,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: (text) => progressText.push(text),
    isTty: false,
    env: { STOWAGE_BACKUPS_BUCKET: 'stowage-dev-backups' },
    now: () => new Date('2026-11-23T04:00:00Z'),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    createClients: () => ({
      s3: new S3Client({ region: 'eu-west-1', credentials }),
      kms: () => new KMSClient({ region: 'eu-west-1', credentials }),
      destroy: () => undefined,
    }),
    ...overrides,
  };
}

/** An SDK-shaped service error. */
export function serviceError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}
