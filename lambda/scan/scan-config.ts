import { z } from 'zod';

import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { maxReceiveCountSetting } from '../runtime/dead-letter-reason';
import { parseHandlerEnv } from '../runtime/handler-config';
import { DEFAULT_ALLOWED_TYPES } from '../../core/scan/media-types';

const required = z.string().trim().min(1, 'required');

const schema = z.object({
  [HANDLER_ENV.UPLOADS_BUCKET]: required,
  [HANDLER_ENV.RESULTS_BUS]: required,
  [HANDLER_ENV.STATUS_TABLE]: required,
  [HANDLER_ENV.ENV_NAME]: required,
  [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: z.string().optional(),
  [HANDLER_ENV.CLAMD_ADDRESS]: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port')
    .optional()
    .or(z.literal('')),
  [HANDLER_ENV.GUARDDUTY_INCONCLUSIVE_VERDICT]: z.enum(['ERROR', 'SUSPICIOUS']).default('ERROR'),
  [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: maxReceiveCountSetting,
  [HANDLER_ENV.SCAN_ALLOW_ENCRYPTED_ENTRIES]: z.enum(['true', 'false']).default('false'),
});

export interface ScanHandlerConfig {
  readonly uploadsBucket: string;
  readonly resultsBus: string;
  readonly statusTable: string;
  readonly envName: string;
  readonly allowedTypes: readonly string[];
  readonly clamd?: { readonly host: string; readonly port: number };
  readonly guardDutyInconclusive: 'ERROR' | 'SUSPICIOUS';
  /** The intake queue's maxReceiveCount; unset: dead-letter reasons are not recorded. */
  readonly dlqMaxReceiveCount?: number;
  /** Encrypted archive entries are accepted uninspected. */
  readonly allowEncryptedArchiveEntries: boolean;
}

/** Reads the scan handler's environment (called once, at cold start). */
export function loadScanConfig(env: Readonly<Record<string, string | undefined>>): ScanHandlerConfig {
  const values = parseHandlerEnv('scan', schema, env);
  const allowed = values[HANDLER_ENV.ALLOWED_CONTENT_TYPES]
    ?.split(',')
    .map((type) => type.trim())
    .filter((type) => type !== '');
  const clamd = values[HANDLER_ENV.CLAMD_ADDRESS];
  const separator = clamd ? clamd.lastIndexOf(':') : -1;
  return {
    uploadsBucket: values[HANDLER_ENV.UPLOADS_BUCKET],
    resultsBus: values[HANDLER_ENV.RESULTS_BUS],
    statusTable: values[HANDLER_ENV.STATUS_TABLE],
    envName: values[HANDLER_ENV.ENV_NAME],
    allowedTypes: allowed && allowed.length > 0 ? allowed : DEFAULT_ALLOWED_TYPES,
    ...(clamd
      ? { clamd: { host: clamd.slice(0, separator), port: Number(clamd.slice(separator + 1)) } }
      : {}),
    guardDutyInconclusive: values[HANDLER_ENV.GUARDDUTY_INCONCLUSIVE_VERDICT],
    ...(values[HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT] !== undefined
      ? { dlqMaxReceiveCount: values[HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT] }
      : {}),
    allowEncryptedArchiveEntries: values[HANDLER_ENV.SCAN_ALLOW_ENCRYPTED_ENTRIES] === 'true',
  };
}
