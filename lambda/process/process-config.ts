import { z } from 'zod';

import { HANDLER_ENV } from '../shared/handler-env';
import { parseHandlerEnv } from '../shared/pipeline/handler-config';

const required = z.string().trim().min(1, 'required');

const schema = z.object({
  [HANDLER_ENV.UPLOADS_BUCKET]: required,
  [HANDLER_ENV.PROCESSED_BUCKET]: required,
  [HANDLER_ENV.PROCESSED_KEY_ARN]: required,
  [HANDLER_ENV.STATUS_TABLE]: required,
  [HANDLER_ENV.ENV_NAME]: required,
});

export interface ProcessHandlerConfig {
  readonly uploadsBucket: string;
  readonly processedBucket: string;
  readonly processedKeyArn: string;
  readonly statusTable: string;
  readonly envName: string;
}

/** Reads the process handler's environment (called once, at cold start). */
export function loadProcessConfig(env: Readonly<Record<string, string | undefined>>): ProcessHandlerConfig {
  const values = parseHandlerEnv('process', schema, env);
  return {
    uploadsBucket: values[HANDLER_ENV.UPLOADS_BUCKET],
    processedBucket: values[HANDLER_ENV.PROCESSED_BUCKET],
    processedKeyArn: values[HANDLER_ENV.PROCESSED_KEY_ARN],
    statusTable: values[HANDLER_ENV.STATUS_TABLE],
    envName: values[HANDLER_ENV.ENV_NAME],
  };
}
