import { PassThrough } from 'stream';
import { FORMAT_VALIDATORS } from '../../../core/backup/verify/format-validators';
import { FormatError } from '../../../core/backup/verify/format-error';
import { CommandFailure } from '../../shared/command-io';
import type { PushFormat } from './push-options';

/** How each checked format starts: enough to refuse a foreign stream before its first part is sent. */
const MAGIC: Record<Exclude<PushFormat, 'raw'>, { bytes: Buffer; what: string }> = {
  'pg-dump': { bytes: Buffer.from('PGDMP'), what: 'a pg_dump custom-format archive (starts with PGDMP)' },
  gzip: { bytes: Buffer.from([0x1f, 0x8b]), what: 'gzip data (starts with 1f 8b)' },
  'tar-gz': { bytes: Buffer.from([0x1f, 0x8b]), what: 'a gzip-compressed tar (starts with 1f 8b)' },
};

/** The format check refused the content: it is not a whole archive of the source's format. */
export class FormatCheckError extends CommandFailure {
  constructor(message: string) {
    super(`${message} (pass --no-check to upload it anyway)`);
    this.name = 'FormatCheckError';
  }
}

/** Refuses content whose first bytes are not the format's. */
export function checkHead(format: PushFormat, head: Buffer, what: string): void {
  if (format === 'raw') return;
  const magic = MAGIC[format];
  if (head.length < magic.bytes.length || !head.subarray(0, magic.bytes.length).equals(magic.bytes)) {
    throw new FormatCheckError(`${what} is not ${magic.what}: refusing to upload it as ${format}`);
  }
}

/**
 * The whole-content check, fed chunk by chunk while the content streams to S3: the verifier's validator for the
 * format (format-validators.ts) reads a tee of the bytes. `write` returns a promise that resolves when the
 * validator took the chunk (back-pressure); `finish` ends the content and resolves or throws FormatCheckError.
 */
export interface StreamingFormatCheck {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<string>;
}

export function createStreamingFormatCheck(format: PushFormat, what: string): StreamingFormatCheck {
  if (format === 'raw') {
    return { write: async () => undefined, finish: async () => 'raw: no format check' };
  }
  const tee = new PassThrough({ highWaterMark: 1024 * 1024 });
  const outcome = FORMAT_VALIDATORS[format](tee).then(
    (result) => ({ ok: true as const, detail: result.detail }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let settled: Awaited<typeof outcome> | undefined;
  void outcome.then((value) => (settled = value));
  return {
    async write(chunk) {
      // A validator that already failed (or finished) reads no more: keep uploading, report at the end.
      if (settled || tee.destroyed) return;
      if (!tee.write(chunk)) {
        await Promise.race([new Promise((resolve) => tee.once('drain', resolve)), outcome]);
      }
    },
    async finish() {
      tee.end();
      const result = await outcome;
      if (result.ok) return result.detail;
      if (result.error instanceof FormatError) {
        throw new FormatCheckError(`${what} is not a whole ${format} archive: ${result.error.message}`);
      }
      throw result.error;
    },
  };
}

/** Runs the format check over a whole file. */
export async function checkFileFormat(
  format: PushFormat,
  content: AsyncIterable<Uint8Array>,
  what: string,
): Promise<string> {
  const check = createStreamingFormatCheck(format, what);
  for await (const chunk of content) await check.write(chunk);
  return check.finish();
}
