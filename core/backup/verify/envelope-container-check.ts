import {
  EnvelopeFormatError,
  envelopeSize,
  parseEnvelopeHeader,
  TAG_LENGTH,
  type EnvelopeHeader,
} from '../envelope-encryption';
import type { BackupObject } from './backup-object';
import { failed, passed, type CheckResult } from './verification-report';

/** More than any header `stowage backup push` writes (a KMS header with its wrapped key and context). */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * What can be proven about an envelope (`stowage-aes256gcm-v1`, envelope-encryption.ts) without its key: the
 * header parses and names the key source the metadata names, and the stored size is exactly the header plus
 * `original-size` bytes sealed in segments of the header's size, each with its tag. The segments' framing is
 * fixed by those sizes, so a stream cut, padded or with a segment dropped or duplicated fails here; a modified
 * byte inside a segment can only be found by decrypting. Reads `stored` to its end.
 */
export async function checkEnvelopeContainer(
  stored: AsyncIterable<Uint8Array>,
  object: BackupObject,
  keySource: 'kms' | 'passphrase',
): Promise<CheckResult> {
  let head: Buffer = Buffer.alloc(0);
  let header: EnvelopeHeader | undefined;
  let problem: string | undefined;
  let total = 0;
  for await (const chunk of stored) {
    total += chunk.length;
    if (header || problem) continue;
    head = Buffer.concat([head, chunk]);
    try {
      header = parseEnvelopeHeader(head);
    } catch (error) {
      if (!(error instanceof EnvelopeFormatError)) throw error;
      problem = `not a readable envelope: ${error.message}`;
      continue;
    }
    if (!header && head.length > MAX_HEADER_BYTES)
      problem = 'no complete envelope header in the first 64 KiB';
    if (header) head = Buffer.alloc(0);
  }
  if (problem) return failed('container', problem);
  if (!header) return failed('container', `the ${total} stored bytes end inside the envelope header`);
  if (header.source.kind !== keySource) {
    return failed(
      'container',
      `the envelope's data key comes from ${header.source.kind}, the key-source metadata says ${keySource}`,
    );
  }
  const expected = envelopeSize(object.originalBytes, header.raw.length, header.segmentSize);
  const segments = Math.max(1, Math.ceil(object.originalBytes / header.segmentSize));
  const shape =
    `${header.raw.length}-byte header + ${object.originalBytes} original bytes in ${segments} segments of ` +
    `${header.segmentSize} bytes + ${TAG_LENGTH}-byte tag`;
  if (total !== expected) {
    return failed(
      'container',
      `${total} stored bytes, but ${shape} make ${expected}: the envelope was cut short, padded or re-framed`,
    );
  }
  return passed('container', `${header.source.kind} envelope v${header.version}: ${shape} = ${total} bytes`);
}
