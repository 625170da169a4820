/**
 * Scan verdicts and how verdicts of several engines combine.
 *
 * Severity order: INFECTED > SUSPICIOUS > ERROR > CLEAN.
 *
 * SUSPICIOUS deliberately outranks ERROR. Both INFECTED and SUSPICIOUS lead to the same disposition (quarantine),
 * and a SUSPICIOUS finding is deterministic: it is a property of the bytes (a disguised executable, a zip bomb), so
 * no retry can clear it. If one engine found the object SUSPICIOUS while another failed (clamd unreachable), the
 * only verdict the failed engine could still add is INFECTED, which would quarantine the object all the same; so
 * the object is quarantined now instead of being parked as ERROR and retried. ERROR only wins over CLEAN: an object
 * is CLEAN only when every engine ran to completion and found nothing.
 */

export const SCAN_STATUSES = ['CLEAN', 'ERROR', 'SUSPICIOUS', 'INFECTED'] as const;

/** Outcome of a scan; the values are the `scan-status` tag values of the contract. */
export type ScanStatus = (typeof SCAN_STATUSES)[number];

/** Severity rank of each status: higher wins when verdicts are combined. */
export const SEVERITY: Readonly<Record<ScanStatus, number>> = {
  CLEAN: 0,
  ERROR: 1,
  SUSPICIOUS: 2,
  INFECTED: 3,
};

/** What one engine reports about one object. */
export interface EngineVerdict {
  readonly status: ScanStatus;
  /** Engine name, e.g. `builtin` or `clamav`. */
  readonly engine: string;
  /** Signature name when a signature matched (INFECTED, or a heuristic name for SUSPICIOUS). */
  readonly signature?: string;
  /** Human-readable explanation, always set for SUSPICIOUS and ERROR. */
  readonly reason?: string;
  /** Detected MIME type, where the engine detects types. */
  readonly detectedType?: string;
  /** Bytes of the object this engine consumed. */
  readonly bytesScanned: number;
}

/** The combined verdict of one pass over an object. */
export interface ScanVerdict {
  readonly status: ScanStatus;
  /** Engine(s) behind the verdict, joined with `+` (all engines when CLEAN, else those with the winning status). */
  readonly engine: string;
  readonly signature?: string;
  readonly reason?: string;
  readonly detectedType?: string;
  /** Bytes read from the source stream (all of them are hashed). */
  readonly bytesScanned: number;
  /** Lower-case hex SHA-256 of the bytes read from the source, computed in the same pass. */
  readonly sha256: string;
  /** Every engine's own verdict, in the order the engines were given. */
  readonly engines: readonly EngineVerdict[];
}

/** True when `a` is strictly more severe than `b`. */
export function isMoreSevere(a: ScanStatus, b: ScanStatus): boolean {
  return SEVERITY[a] > SEVERITY[b];
}

/**
 * Combines engine verdicts by severity. The first verdict (in engine order) with the winning status and a signature
 * provides the signature; the reasons of all winning verdicts are joined; `detectedType` comes from the first engine that knows one.
 */
export function combineVerdicts(
  verdicts: readonly EngineVerdict[],
): Pick<ScanVerdict, 'status' | 'engine' | 'signature' | 'reason' | 'detectedType'> {
  if (verdicts.length === 0) {
    throw new Error('combineVerdicts needs at least one engine verdict');
  }
  let status: ScanStatus = 'CLEAN';
  for (const verdict of verdicts) {
    if (isMoreSevere(verdict.status, status)) {
      status = verdict.status;
    }
  }
  const winners = verdicts.filter((verdict) => verdict.status === status);
  const withSignature = winners.find((verdict) => verdict.signature !== undefined);
  const reasons = winners.map((verdict) => verdict.reason).filter((reason): reason is string => !!reason);
  const detectedType = verdicts.find((verdict) => verdict.detectedType !== undefined)?.detectedType;
  return {
    status,
    engine: [...new Set(winners.map((verdict) => verdict.engine))].join('+'),
    ...(withSignature?.signature !== undefined ? { signature: withSignature.signature } : {}),
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    ...(detectedType !== undefined ? { detectedType } : {}),
  };
}
