import { ContentInspector } from './content-inspector';
import { InspectionState, resolveArchiveLimits, type ArchiveLimits } from './inspection-state';
import { DEFAULT_ALLOWED_TYPES } from './media-types';
import type { ScanEngine, ScanInput, ScanSubject } from './scan-engine';
import { evaluateTypePolicy } from './type-policy';
import type { EngineVerdict } from './verdict';

export const BUILTIN_ENGINE_NAME = 'builtin';

/** Longest `reason` the engine reports; several findings are joined and cut to this length. */
const MAX_REASON_LENGTH = 1000;

export interface BuiltinEngineOptions {
  /**
   * Allowed content types (aliases accepted). Content of any other, or of no recognisable, type is SUSPICIOUS.
   * `'any'` disables the check. Default `DEFAULT_ALLOWED_TYPES`.
   */
  readonly allowedTypes?: readonly string[] | 'any';
  /** Decompression-bomb guards, over `DEFAULT_ARCHIVE_LIMITS`. */
  readonly archiveLimits?: Partial<ArchiveLimits>;
  /** Inspect zip and gzip content entry by entry. Default true. */
  readonly inspectArchives?: boolean;
  /** Executables and scripts inside archives are SUSPICIOUS. Default true. */
  readonly flagExecutablesInArchives?: boolean;
  /**
   * Accept encrypted archive entries (zip traditional or AES encryption) without inspecting them. Default false:
   * an encrypted entry cannot be inspected, so it is SUSPICIOUS ("cannot inspect: encrypted entry …").
   */
  readonly allowEncryptedArchiveEntries?: boolean;
  /**
   * Check that the object is a complete, consistent instance of its detected type, with nothing after or inside
   * it that its structure does not account for. Default true.
   */
  readonly checkStructure?: boolean;
  /**
   * Verdict for a zero-byte object. Default SUSPICIOUS: an empty object carries none of the content its declared
   * type promises, the upload API never issues a URL for size 0, so one in the bucket bypassed or broke the flow.
   */
  readonly emptyObjectStatus?: 'SUSPICIOUS' | 'CLEAN';
}

/**
 * The built-in streaming engine: EICAR test signature anywhere (archives included), magic-byte type checks against
 * the declared type, extension and allowlist, zip/gzip inspection with bomb guards. Holds at most a few hundred
 * bytes of the object plus the decompressors' windows, whatever the object size.
 */
export function createBuiltinEngine(options: BuiltinEngineOptions = {}): ScanEngine {
  const limits = resolveArchiveLimits(options.archiveLimits);
  const allowedTypes =
    options.allowedTypes === 'any' ? undefined : (options.allowedTypes ?? DEFAULT_ALLOWED_TYPES);
  const inspection = {
    limits,
    inspectArchives: options.inspectArchives ?? true,
    flagExecutablesInArchives: options.flagExecutablesInArchives ?? true,
    allowEncryptedEntries: options.allowEncryptedArchiveEntries ?? false,
    checkStructure: options.checkStructure ?? true,
  };
  const emptyObjectStatus = options.emptyObjectStatus ?? 'SUSPICIOUS';

  return {
    name: BUILTIN_ENGINE_NAME,
    async scan(input: ScanInput, subject: ScanSubject, signal?: AbortSignal): Promise<EngineVerdict> {
      const state = new InspectionState(inspection);
      const root = new ContentInspector(state, 0, subject.fileName ?? 'object');
      for await (const chunk of input) {
        signal?.throwIfAborted();
        root.write(chunk);
        if (state.infected) break;
      }
      const bytesScanned = root.bytesSeen;
      if (!state.infected) root.end();

      const infected = state.findings.find((finding) => finding.status === 'INFECTED');
      if (infected) {
        return {
          status: 'INFECTED',
          engine: BUILTIN_ENGINE_NAME,
          ...(infected.signature !== undefined ? { signature: infected.signature } : {}),
          reason: infected.reason,
          bytesScanned,
        };
      }
      if (bytesScanned === 0) {
        return {
          status: emptyObjectStatus,
          engine: BUILTIN_ENGINE_NAME,
          ...(emptyObjectStatus === 'SUSPICIOUS' ? { reason: 'empty object (0 bytes)' } : {}),
          bytesScanned,
        };
      }
      const policy = evaluateTypePolicy({
        detected: root.detected,
        ...(subject.declaredContentType !== undefined
          ? { declaredContentType: subject.declaredContentType }
          : {}),
        ...(subject.fileName !== undefined ? { fileName: subject.fileName } : {}),
        ...(allowedTypes !== undefined ? { allowedTypes } : {}),
      });
      const reasons = [...policy.reasons, ...state.findings.map((finding) => finding.reason)];
      const typeField = policy.detectedType !== undefined ? { detectedType: policy.detectedType } : {};
      if (reasons.length > 0) {
        return {
          status: 'SUSPICIOUS',
          engine: BUILTIN_ENGINE_NAME,
          reason: truncate(reasons.join('; '), MAX_REASON_LENGTH),
          ...typeField,
          bytesScanned,
        };
      }
      return { status: 'CLEAN', engine: BUILTIN_ENGINE_NAME, ...typeField, bytesScanned };
    },
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
