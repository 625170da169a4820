import { FormatError } from '../format-error';

/**
 * A plain SQL dump (`pg_dump` without -F, or -Fp): it starts with pg_dump's banner and ends with its completion
 * comment, written only after everything else. A dump cut anywhere lacks the comment; two dumps glued together
 * have it in the middle (psql then fails on the second dump's CREATEs). COPY data (between `COPY ... FROM stdin;`
 * and `\.`) is skipped, so a table row that happens to read like the comment cannot fake it.
 */
export const PLAIN_DUMP_BANNER = '-- PostgreSQL database dump';
export const PLAIN_DUMP_COMPLETE = '-- PostgreSQL database dump complete';

const NEWLINE = 0x0a;

export interface PlainSqlSummary {
  readonly lines: number;
  readonly bytes: number;
  readonly copyBlocks: number;
}

/** Whether the first bytes of a file look like a plain pg_dump (its banner within the first lines). */
export function looksLikePlainDump(head: Buffer): boolean {
  return head
    .toString('utf8', 0, Math.min(head.length, 512))
    .split('\n')
    .slice(0, 4)
    .includes(PLAIN_DUMP_BANNER);
}

/** Reads a plain SQL dump to its end; throws FormatError when it is not whole. */
export async function readPlainSqlDump(content: AsyncIterable<Uint8Array>): Promise<PlainSqlSummary> {
  let carry: Buffer = Buffer.alloc(0);
  let lines = 0;
  let bytes = 0;
  let copyBlocks = 0;
  let inCopy = false;
  let bannerLine = 0;
  let completeLine = 0;
  let contentAfterComplete = 0;
  const onLine = (line: string): void => {
    lines++;
    if (inCopy) {
      if (line === '\\.') inCopy = false;
      return;
    }
    if (completeLine > 0 && contentAfterComplete === 0 && !mayFollowCompletion(line))
      contentAfterComplete = lines;
    if (line === PLAIN_DUMP_BANNER && bannerLine === 0) bannerLine = lines;
    else if (line === PLAIN_DUMP_COMPLETE) {
      if (completeLine > 0) throw twoDumps(completeLine);
      completeLine = lines;
    } else if (/^COPY .* FROM stdin;$/.test(line)) {
      inCopy = true;
      copyBlocks++;
    }
  };
  for await (const chunk of content) {
    bytes += chunk.length;
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let start = 0;
    if (carry.length > 0) {
      // Finish the line the previous chunk left open.
      const end = data.indexOf(NEWLINE);
      if (end === -1) {
        carry = Buffer.concat([carry, data]);
        continue;
      }
      onLine(Buffer.concat([carry, data.subarray(0, end)]).toString('utf8'));
      start = end + 1;
    }
    while (start < data.length) {
      if (inCopy) {
        // Table data: only the terminator line matters, found without splitting the rows.
        if (data[start] === 0x5c && data[start + 1] === 0x2e && data[start + 2] === NEWLINE) {
          onLine('\\.');
          start += 3;
          continue;
        }
        const terminator = data.indexOf('\n\\.\n', start);
        if (terminator === -1) break;
        lines += countLines(data, start, terminator + 1);
        start = terminator + 1;
        continue;
      }
      const end = data.indexOf(NEWLINE, start);
      if (end === -1) break;
      onLine(data.toString('utf8', start, end));
      start = end + 1;
    }
    if (inCopy && start < data.length) {
      // Keep only the last (open) line of table data: it may be the start of the terminator.
      const last = data.lastIndexOf(NEWLINE);
      if (last >= start) {
        lines += countLines(data, start, last + 1);
        start = last + 1;
      }
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length > 0) onLine(carry.toString('utf8'));
  if (bytes === 0) throw new FormatError('plain SQL dump: the file is empty');
  if (bannerLine === 0)
    throw new FormatError(`plain SQL dump: no '${PLAIN_DUMP_BANNER}' banner at the start`);
  if (inCopy) throw new FormatError(`truncated: plain SQL dump ends inside COPY data (line ${lines})`);
  if (completeLine === 0) {
    throw new FormatError(
      `truncated: plain SQL dump ends at line ${lines} without '${PLAIN_DUMP_COMPLETE}' (pg_dump writes it last)`,
    );
  }
  if (contentAfterComplete > 0) throw twoDumps(completeLine, contentAfterComplete);
  return { lines, bytes, copyBlocks };
}

/**
 * What pg_dump writes after its completion comment: comment and blank lines, and since 15.14 (17.6, ...) the
 * `\unrestrict KEY` that ends the `\restrict` at its start. A second banner is a second dump.
 */
function mayFollowCompletion(line: string): boolean {
  if (line === PLAIN_DUMP_BANNER) return false;
  return line.trim() === '' || line.startsWith('--') || /^\\unrestrict [A-Za-z0-9]+$/.test(line);
}

function twoDumps(completeLine: number, moreAt?: number): FormatError {
  return new FormatError(
    `plain SQL dump: '${PLAIN_DUMP_COMPLETE}' at line ${completeLine} is followed by more SQL` +
      `${moreAt ? ` (line ${moreAt})` : ''}: more than one dump in one file`,
  );
}

/** Newlines in data[from, to). */
function countLines(data: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = data.indexOf(NEWLINE, from); at !== -1 && at < to; at = data.indexOf(NEWLINE, at + 1))
    count++;
  return count;
}
