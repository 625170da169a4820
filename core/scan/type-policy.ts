import type { DetectedType } from './magic-bytes';
import {
  canonicalMediaType,
  essenceOf,
  extensionOf,
  isGenericType,
  lookupMediaType,
  typesForExtension,
  type ContentCategory,
} from './media-types';

export interface TypePolicyInput {
  /** Type detected from the first bytes; undefined when no signature matched. */
  readonly detected: DetectedType | undefined;
  readonly declaredContentType?: string;
  readonly fileName?: string;
  /** Allowed MIME types (aliases accepted); undefined disables the allowlist check. */
  readonly allowedTypes?: readonly string[];
}

export interface TypePolicyResult {
  /**
   * The content's MIME type: the declared type when it names the detected container (`audio/webm` for a WebM
   * file declared as such), else the detected type. Undefined when nothing was detected.
   */
  readonly detectedType?: string;
  /** Reasons the content is SUSPICIOUS; empty when the type is consistent. */
  readonly reasons: readonly string[];
}

const ACTIVE: ReadonlySet<ContentCategory> = new Set(['executable', 'script']);

/**
 * Compares detected content against the declared Content-Type, the file extension and the allowlist.
 *
 * - An executable or script whose declared type or extension claims something else is "disguised".
 * - A declared type or extension that names a different container than the bytes show is a mismatch; so is a
 *   declared type with a known signature (all binary formats here) when no signature is found.
 * - With an allowlist, content whose type is not on it (or is unrecognised) is not allowed.
 * Generic declarations (`application/octet-stream`, none) and unknown extensions make no claim.
 */
export function evaluateTypePolicy(input: TypePolicyInput): TypePolicyResult {
  const { detected } = input;
  const declared = isGenericType(input.declaredContentType)
    ? undefined
    : essenceOf(input.declaredContentType ?? '');
  const declaredInfo = declared !== undefined ? lookupMediaType(declared) : undefined;
  const extension = extensionOf(input.fileName);
  const extensionTypes = extension !== undefined ? typesForExtension(extension) : [];
  const detectedType = detected
    ? declaredInfo?.family === detected.type.family
      ? declaredInfo.mime
      : detected.type.mime
    : undefined;
  const reasons: string[] = [];

  if (detected && ACTIVE.has(detected.type.category)) {
    if (declared !== undefined && !(declaredInfo && ACTIVE.has(declaredInfo.category))) {
      reasons.push(`${detected.description} disguised as ${declared}`);
    } else if (extensionTypes.length > 0 && !extensionTypes.some((type) => ACTIVE.has(type.category))) {
      reasons.push(`${detected.description} disguised as a .${extension} file`);
    }
  }

  if (reasons.length === 0 && declared !== undefined) {
    if (detected) {
      if (declaredInfo?.family !== detected.type.family) {
        reasons.push(
          `declared ${declared} but the content is ${detected.type.mime} (${detected.description})`,
        );
      }
    } else if (declaredInfo && !ACTIVE.has(declaredInfo.category)) {
      reasons.push(`declared ${declared} but the content has no ${declaredInfo.mime} signature`);
    }
  }

  if (reasons.length === 0 && extensionTypes.length > 0) {
    if (detected) {
      if (!extensionTypes.some((type) => type.family === detected.type.family)) {
        reasons.push(`file extension .${extension} does not match the content ${detected.type.mime}`);
      }
    } else if (declared === undefined && !extensionTypes.some((type) => ACTIVE.has(type.category))) {
      reasons.push(`file extension .${extension} but the content has no matching signature`);
    }
  }

  if (input.allowedTypes !== undefined) {
    const allowed = new Set(input.allowedTypes.map(canonicalMediaType));
    if (detectedType === undefined) {
      if (reasons.length === 0) reasons.push('content type not recognised, so not in the allowed types');
    } else if (!allowed.has(canonicalMediaType(detectedType))) {
      reasons.push(`detected type ${detectedType} is not an allowed type`);
    }
  }

  return { ...(detectedType !== undefined ? { detectedType } : {}), reasons };
}
