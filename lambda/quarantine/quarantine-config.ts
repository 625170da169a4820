import { z } from 'zod';

import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { maxReceiveCountSetting } from '../runtime/dead-letter-reason';
import { parseHandlerEnv } from '../runtime/handler-config';

const required = z.string().trim().min(1, 'required');

const schema = z.object({
  [HANDLER_ENV.UPLOADS_BUCKET]: required,
  [HANDLER_ENV.QUARANTINE_BUCKET]: required,
  [HANDLER_ENV.QUARANTINE_KEY_ARN]: required,
  [HANDLER_ENV.STATUS_TABLE]: required,
  [HANDLER_ENV.ENV_NAME]: required,
  [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: maxReceiveCountSetting,
});

export interface QuarantineHandlerConfig {
  readonly uploadsBucket: string;
  readonly quarantineBucket: string;
  readonly quarantineKeyArn: string;
  readonly statusTable: string;
  readonly envName: string;
  /** The queue's maxReceiveCount; unset: dead-letter reasons are not recorded. */
  readonly dlqMaxReceiveCount?: number;
}

/** Reads the quarantine handler's environment (called once, at cold start). */
export function loadQuarantineConfig(
  env: Readonly<Record<string, string | undefined>>,
): QuarantineHandlerConfig {
  const values = parseHandlerEnv('quarantine', schema, env);
  return {
    uploadsBucket: values[HANDLER_ENV.UPLOADS_BUCKET],
    quarantineBucket: values[HANDLER_ENV.QUARANTINE_BUCKET],
    quarantineKeyArn: values[HANDLER_ENV.QUARANTINE_KEY_ARN],
    statusTable: values[HANDLER_ENV.STATUS_TABLE],
    envName: values[HANDLER_ENV.ENV_NAME],
    ...(values[HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT] !== undefined
      ? { dlqMaxReceiveCount: values[HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT] }
      : {}),
  };
}
