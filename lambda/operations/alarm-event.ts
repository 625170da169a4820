import { z } from 'zod';

import { describeIssues, InvalidEventError } from '../../core/events/invalid-event-error';

/** CloudWatch alarm states. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One metric an alarm watches (entries of a metric-math alarm that are expressions are left out). */
export interface AlarmMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** What the operations handler needs from a "CloudWatch Alarm State Change" event. */
export interface AlarmTransition {
  readonly alarmName: string;
  /** The state the alarm went to. */
  readonly state: AlarmStateValue;
  /** CloudWatch's reason for the transition. */
  readonly reason: string;
  /** The transition's timestamp exactly as CloudWatch sent it (part of the idempotency key). */
  readonly timestamp: string;
  /** The same instant as ISO 8601 UTC (`2026-11-23T05:00:00.000Z`). */
  readonly at: string;
  /** The state before (absent if the event did not say). */
  readonly previousState?: AlarmStateValue;
  /** The alarm's description, when it has one. */
  readonly description?: string;
  /** The metrics of a metric alarm; empty for a composite alarm. */
  readonly metrics: readonly AlarmMetric[];
  /** True for a composite alarm (it watches other alarms, not metrics). */
  readonly composite: boolean;
}

/**
 * CloudWatch timestamps in alarm events look like `2026-11-23T05:00:00.123+0000` (offset without a colon); ISO
 * forms with `Z` or `+00:00` are accepted too.
 */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})$/;

const stateValue = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

const timestamp = z
  .string()
  .regex(TIMESTAMP, 'an ISO 8601 time such as 2026-11-23T05:00:00.000+0000')
  .refine((value) => toIsoUtc(value) !== undefined, 'a valid date and time');

const metricEntry = z.object({
  id: z.string().optional(),
  metricStat: z
    .object({
      metric: z.object({
        namespace: z.string().min(1, 'required'),
        name: z.string().min(1, 'required'),
        dimensions: z.record(z.string(), z.string()).default({}),
      }),
    })
    .optional(),
  expression: z.string().optional(),
});

const alarmEventSchema = z.object({
  source: z.literal('aws.cloudwatch', "must be 'aws.cloudwatch'"),
  'detail-type': z.literal('CloudWatch Alarm State Change', "must be 'CloudWatch Alarm State Change'"),
  detail: z.object({
    alarmName: z.string().min(1, 'required'),
    state: z.object({
      value: stateValue,
      reason: z.string().default(''),
      timestamp,
    }),
    previousState: z.object({ value: stateValue }).optional(),
    configuration: z
      .object({
        description: z.string().optional(),
        metrics: z.array(metricEntry).optional(),
        alarmRule: z.string().optional(),
      })
      .default({}),
  }),
});

/**
 * Validates an EventBridge "CloudWatch Alarm State Change" event; throws InvalidEventError naming every field at
 * fault (a retry cannot fix it: the invocation ends in the function's on-failure destination).
 */
export function parseAlarmEvent(event: unknown): AlarmTransition {
  const parsed = alarmEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(`invalid alarm state change event: ${describeIssues(parsed.error.issues)}`);
  }
  const { detail } = parsed.data;
  const metrics: AlarmMetric[] = (detail.configuration.metrics ?? []).flatMap((entry) =>
    entry.metricStat
      ? [
          {
            namespace: entry.metricStat.metric.namespace,
            name: entry.metricStat.metric.name,
            dimensions: entry.metricStat.metric.dimensions,
          },
        ]
      : [],
  );
  return {
    alarmName: detail.alarmName,
    state: detail.state.value,
    reason: detail.state.reason,
    timestamp: detail.state.timestamp,
    // Validated above: the refinement rejects timestamps toIsoUtc cannot read.
    at: toIsoUtc(detail.state.timestamp) as string,
    ...(detail.previousState ? { previousState: detail.previousState.value } : {}),
    ...(detail.configuration.description ? { description: detail.configuration.description } : {}),
    metrics,
    composite: detail.configuration.metrics === undefined && detail.configuration.alarmRule !== undefined,
  };
}

/** `2026-11-23T05:00:00.123+0000` → `2026-11-23T05:00:00.123Z`; undefined when not a real instant. */
function toIsoUtc(value: string): string | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [, local, zone] = match as unknown as [string, string, string];
  const offset = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(`${local}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
