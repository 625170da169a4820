import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** A handler's Powertools: its logger, metrics and tracer, all under the one service name of the handler. */
export interface HandlerPowertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/**
 * Powertools for a handler's cold start. The service name (log `service`, metric dimension `service`, trace
 * annotation `Service`) and the metrics namespace come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE,
 * which lib/constructs/stowage-function.ts sets from core/contracts/metrics.ts: one name per handler, one namespace.
 * `envName` (STOWAGE_ENV) goes on every log line and is a dimension of every metric. The tracer records only inside
 * Lambda with active tracing; elsewhere (tests, local mode) Powertools turns it off and `captureAWSv3Client` returns
 * the client as it is.
 */
export function handlerPowertools(envName: string | undefined): HandlerPowertools {
  const env: Record<string, string> = envName === undefined ? {} : { env: envName };
  return {
    logger: new Logger({ persistentKeys: env }),
    metrics: new Metrics({ defaultDimensions: env }),
    tracer: new Tracer(),
  };
}
