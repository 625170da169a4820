export { CountingMetrics } from './counting-metrics';
export {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  toEventBridgeEvent,
  type EventBridgeEvent,
} from './eventbridge-envelope';
export {
  ensureIntakeBuckets,
  type BucketEncryptionMode,
  type IntakeBucketNames,
  type IntakeBucketSetup,
  type IntakeKmsKeyIds,
} from './intake-buckets';
export {
  createLocalIntake,
  type IntakeStep,
  type LocalApiRequest,
  type LocalIntake,
  type LocalIntakeOptions,
  type LocalIntakeQueues,
} from './local-intake';
export { LocalResultsPublisher, type ResultsTarget } from './local-results-publisher';
export {
  createApiGatewayAdapter,
  DEFAULT_MAX_BODY_BYTES,
  INTAKE_ROUTE_KEYS,
  toHttpApiEvent,
  toHttpResponse,
  type ApiGatewayAdapterOptions,
  type HttpApiAuthorizer,
  type HttpApiHandler,
} from './api-gateway-adapter';
export { createIntakeHttpApiHandler } from './intake-api-handler';
export {
  JWKS_PATH,
  PAGE_CONFIG_PATH,
  startLocalHttpServer,
  type LocalHttpServer,
  type LocalHttpServerOptions,
  type PageConfig,
} from './local-http-server';
export {
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  LOCAL_JWT_ISSUER,
  openLocalJwt,
  type JsonWebKeySet,
  type JwtAuthorization,
  type LocalJwt,
  type LocalJwtOptions,
  type MintTokenOptions,
} from './local-jwt';
