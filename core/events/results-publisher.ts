import type { ScanResultDetail } from './scan-result-event';

/**
 * Where the scan core puts a verdict: the results EventBridge bus on AWS (EventBridgeResultsPublisher), local
 * queues routed like the bus's rules in local mode. `publish` resolves once the result is held by the bus or queue
 * and rejects otherwise, so the scan record fails and is retried (the consumers are idempotent on the version).
 */
export interface ResultsPublisher {
  publish(detail: ScanResultDetail): Promise<void>;
}
