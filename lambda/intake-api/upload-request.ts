import { z } from 'zod';
import { MAX_CONTENT_TYPE_LENGTH, parseContentType } from './content-types';
import { sanitizeFileName } from './file-name';
import type { IntakeConfig } from './intake-config';

/** A validated `POST /uploads` body: the name sanitized, the content type reduced to its allowed essence. */
export interface UploadRequest {
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly field: string; readonly message: string };

/** Largest request body read, in bytes: three short fields need far less. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Longest file name accepted before sanitizing, in UTF-16 code units. */
export const MAX_RAW_FILE_NAME_LENGTH = 1024;

const requiredAs = (type: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be a ${type}`;

function uploadRequestSchema(config: IntakeConfig) {
  const allowed = new Set(config.allowedContentTypes);
  const allowedList = config.allowedContentTypes.join(', ');
  const sizeRule = `must be a whole number of bytes from 1 to ${config.maxUploadBytes}`;
  return z.object({
    fileName: z
      .string({ error: requiredAs('string') })
      .max(MAX_RAW_FILE_NAME_LENGTH, `must be at most ${MAX_RAW_FILE_NAME_LENGTH} characters`)
      .transform((raw, ctx) => {
        const name = sanitizeFileName(raw);
        if (!name) {
          ctx.addIssue({
            code: 'custom',
            message: 'must contain a name once path parts, control characters and leading dots are removed',
          });
          return z.NEVER;
        }
        return name;
      }),
    contentType: z
      .string({ error: requiredAs('string') })
      .max(MAX_CONTENT_TYPE_LENGTH, `must be at most ${MAX_CONTENT_TYPE_LENGTH} characters`)
      .transform((declared, ctx) => {
        const parsed = parseContentType(declared);
        if (!parsed.ok || !allowed.has(parsed.essence)) {
          ctx.addIssue({ code: 'custom', message: `must be one of: ${allowedList}` });
          return z.NEVER;
        }
        return parsed.essence;
      }),
    size: z
      .number({ error: requiredAs('number') })
      .int(sizeRule)
      .min(1, sizeRule)
      .max(config.maxUploadBytes, sizeRule),
  });
}

/**
 * Builds the `POST /uploads` body parser for a config (once, at start-up). It answers the first problem found,
 * in field order, as the field's name and the rule it breaks; unknown fields are ignored.
 */
export function createUploadRequestParser(
  config: IntakeConfig,
): (body: string | undefined) => ParseResult<UploadRequest> {
  const schema = uploadRequestSchema(config);
  return (body) => {
    if (body === undefined || body.trim() === '') {
      return {
        ok: false,
        field: 'body',
        message: 'is required: a JSON object with fileName, contentType and size',
      };
    }
    if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
      return { ok: false, field: 'body', message: `must be at most ${MAX_BODY_BYTES} bytes` };
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      return { ok: false, field: 'body', message: 'must be valid JSON' };
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      return { ok: false, field: 'body', message: 'must be a JSON object' };
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return { ok: true, value: parsed.data };
    const [issue] = parsed.error.issues;
    return { ok: false, field: issue?.path.join('.') || 'body', message: issue?.message ?? 'is invalid' };
  };
}
