/** Metrics of the operations handler (namespace `Stowage`, service `operations`, dimension `env`). */
export const OPERATIONS_METRICS = {
  /** Messages sent from a DLQ back to their source queue. */
  MESSAGES_REDRIVEN: 'MessagesRedriven',
  /** Poison messages sent from a DLQ to the holding queue. */
  MESSAGES_PARKED: 'MessagesParked',
  /** Verifier invocations that returned a report. */
  REVERIFICATIONS_RUN: 'ReverificationsRun',
  /** Actions or reports that failed (the invocation then fails and is retried). */
  OPERATIONS_FAILURES: 'OperationsFailures',
} as const;
