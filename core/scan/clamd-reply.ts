import type { ScanStatus } from './verdict';

export interface ClamdReply {
  readonly status: ScanStatus;
  readonly signature?: string;
  readonly reason?: string;
}

/** Longest part of an unexpected reply quoted in a reason. */
const QUOTE_LIMIT = 200;

/**
 * Interprets clamd's answer to INSTREAM (`stream: OK`, `stream: NAME FOUND`, `… ERROR`).
 *
 * - Names lose a `.UNOFFICIAL` suffix (signatures from local databases carry it).
 * - `Heuristics.Limits.Exceeded.*` means clamd stopped scanning at a configured limit (MaxFileSize, MaxScanSize,
 *   MaxRecursion, …): the object was NOT fully scanned, so this is ERROR (never CLEAN), with the name kept as the
 *   signature so operators can see which limit to raise. The built-in engine's own archive guards say SUSPICIOUS
 *   instead, because they judge the structure itself; clamd's name alone does not say whether the limit was hit by
 *   a hostile object or a low setting.
 * - Any other `Heuristics.*` name (encrypted archive, broken executable, phishing heuristics) is SUSPICIOUS.
 * - Every other `FOUND` is INFECTED. Anything unrecognised is ERROR.
 */
export function parseClamdReply(raw: string): ClamdReply {
  const text = raw.replace(/\0+$/, '').trim();
  if (text === '') return { status: 'ERROR', reason: 'clamd sent an empty reply' };
  const body = text.replace(/^stream:\s*/, '');
  if (text.startsWith('stream:') && body === 'OK') return { status: 'CLEAN' };

  const found = /^stream:\s*(.+?)\s+FOUND$/.exec(text);
  if (found) {
    const signature = found[1]!.replace(/\.UNOFFICIAL$/, '');
    if (signature.startsWith('Heuristics.Limits.Exceeded')) {
      return {
        status: 'ERROR',
        signature,
        reason: `clamd stopped at a scan limit (${signature}); object not fully scanned`,
      };
    }
    if (signature.startsWith('Heuristics.')) {
      return { status: 'SUSPICIOUS', signature, reason: `clamd heuristic ${signature}` };
    }
    return { status: 'INFECTED', signature, reason: `clamd found ${signature}` };
  }
  if (/\bERROR$/.test(text)) return { status: 'ERROR', reason: `clamd error: ${quote(text)}` };
  return { status: 'ERROR', reason: `unexpected clamd reply: ${quote(text)}` };
}

function quote(text: string): string {
  return text.length <= QUOTE_LIMIT ? text : `${text.slice(0, QUOTE_LIMIT)}…`;
}
