/** Metrics of the operations handler (namespace `Stowage`, service `operations`, dimension `env`). */
export const OPERATIONS_METRICS = {
  /** Messages sent from a DLQ back to their source queue. */
  MESSAGES_REDRIVEN: 'MessagesRedriven',
  /** Poison messages sent from a DLQ to the holding queue. */
  MESSAGES_PARKED: 'MessagesParked',
  /** Verifier invocations that returned a report. */
  REVERIFICATIONS_RUN: 'ReverificationsRun',
  /** Alarms set back to OK after a bounded run left messages in their queue (so that they fire again). */
  ALARMS_REARMED: 'AlarmsRearmed',
  /** Verification failure records deleted after a full verification completed. */
  VERIFICATION_FAILURES_SETTLED: 'VerificationFailuresSettled',
  /** Actions or reports that failed (the invocation then fails and is retried). */
  OPERATIONS_FAILURES: 'OperationsFailures',
} as const;
