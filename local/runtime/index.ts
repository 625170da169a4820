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
  UPLOADS_PREFIX,
  type IntakeStep,
  type LocalApiRequest,
  type LocalIntake,
  type LocalIntakeOptions,
  type LocalIntakeQueues,
} from './local-intake';
export { LocalResultsPublisher, type ResultsTarget } from './local-results-publisher';
