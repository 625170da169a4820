/**
 * The operations sections of the environment config: alarm thresholds and windows (checked against CloudWatch's
 * evaluation-range limits), where alarms are sent, and the alarm-driven operations handler (DLQ redrive, poison
 * parking, re-verification).
 */
import { z } from 'zod';

import { handlerSettingsSchema, LOG_LEVELS } from './fields';

/** Longest evaluation range (period × evaluation periods) of an alarm with a period under one hour (CloudWatch). */
export const MAX_SHORT_PERIOD_ALARM_RANGE_SECONDS = 24 * 60 * 60;
/** Longest evaluation range of any alarm (CloudWatch: seven days). */
export const MAX_ALARM_RANGE_SECONDS = 7 * 24 * 60 * 60;

/** Where an alarm looks: the length of one period and how many periods must all breach. */
const alarmWindow = {
  /** Length of one evaluation period in seconds: a whole number of minutes. */
  periodSeconds: z
    .number()
    .int()
    .min(60, 'must be at least 60 seconds')
    .max(86400, 'must be at most 86400 seconds (a day)')
    .refine((s) => s % 60 === 0, 'must be a whole number of minutes (a multiple of 60)'),
  /** Consecutive periods that must breach before the alarm fires. */
  evaluationPeriods: z.number().int().min(1, 'must be at least 1'),
};

/**
 * Alarm thresholds and windows of the Operations stack (lib/constructs/operations-alarms.ts). Every alarm's
 * evaluation range (period × evaluation periods) must fit CloudWatch's limits; the config refinement checks it.
 */
export const alarmSettingsSchema = z.object({
  /** Errors ≥ 1, throttles ≥ 1 and p99 duration near the timeout, for every handler. */
  handlers: z.object({
    ...alarmWindow,
    /** The duration alarm fires when p99 duration reaches this share of the handler's timeout (percent). */
    durationPercentOfTimeout: z
      .number()
      .int()
      .min(1, 'must be between 1 and 100')
      .max(100, 'must be between 1 and 100'),
  }),
  /** One or more visible messages in a DLQ, the backups failures queue, the holding queue. */
  queues: z.object(alarmWindow),
  /** The intake queue's oldest message is older than this: the scan pipeline is not keeping up. */
  intakeQueueAge: z.object({
    ...alarmWindow,
    /** Age of the oldest message, in seconds, above which the alarm fires. */
    thresholdSeconds: z.number().int().min(60, 'must be at least 60 seconds'),
  }),
  /** Scans that ended with verdict ERROR (ScanERROR, summed per period) reach this count. */
  scanErrors: z.object({
    ...alarmWindow,
    /** ERROR verdicts per period at which the alarm fires. */
    threshold: z.number().int().min(1, 'must be at least 1'),
  }),
  /** More uploads than this were quarantined in an hour (Quarantined, summed per hour). */
  quarantinedPerHour: z.object({
    /** Quarantined uploads per hour above which the alarm fires. */
    threshold: z.number().int().min(0, 'must be at least 0'),
    /** Consecutive hours that must breach. */
    evaluationPeriods: z.number().int().min(1, 'must be at least 1').max(168, 'must be at most 168 (a week)'),
  }),
  /**
   * Backup verification and staleness per source. Each alarm looks at hourly datapoints over this many hours and
   * fires when none of them was good (missing data is breaching): a verifier that did not run alarms too. Keep it
   * above the time between two verification runs plus their jitter (daily runs: 25 or more).
   */
  backups: z.object({
    /** Hours without a good datapoint before a backup alarm fires. */
    windowHours: z.number().int().min(1, 'must be at least 1 hour').max(168, 'must be at most 168 hours'),
  }),
  /** API 5xx responses as a share of requests (metric math over AWS/ApiGateway 5xx and Count). */
  api5xx: z.object({
    ...alarmWindow,
    /** Percent of requests answered 5xx above which the alarm fires. */
    ratePercent: z.number().gt(0, 'must be above 0').max(100, 'must be at most 100'),
  }),
  /** S3 replication of processed and backups (only where replication metrics are on). */
  replication: z.object({
    ...alarmWindow,
    /** Replication latency, in seconds, above which the alarm fires (RTC promises 900). */
    latencySeconds: z.number().int().min(60, 'must be at least 60 seconds'),
  }),
});

/** Alarm actions, subscriptions of the operations topic, and every alarm's settings. */
export const alarmsSchema = z.object({
  /** Alarm actions on (pages people) or off (alarms still change state). */
  actionsEnabled: z.boolean(),
  /** Email addresses subscribed to the operations topic. */
  emailSubscriptions: z.array(z.email('must be an email address')),
  /** HTTPS endpoints subscribed to the operations topic. */
  httpsSubscriptions: z.array(z.url({ protocol: /^https$/, error: 'must be an https:// URL' })),
  ...alarmSettingsSchema.shape,
});

/** Settings of the alarm-driven operations handler (lambda/operations). */
export const operationsSchema = z.object({
  /** Size, time and concurrency of the handler. Its timeout must cover a re-verification it waits for. */
  handler: handlerSettingsSchema,
  /** Log level of the handler (Powertools). */
  logLevel: z.enum(LOG_LEVELS),
  /** Most messages one DLQ redrive moves. */
  redriveMaxMessages: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(10000, 'must be at most 10000 (a run must end within the handler timeout)'),
  /** Redrives of one message after which it is parked in the holding queue instead. */
  poisonMaxRedrives: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100'),
  /** Days the holding queue keeps parked messages (SQS allows at most 14). */
  holdingRetentionDays: z.number().int().min(1, 'must be at least 1 day').max(14, 'must be at most 14 days'),
});
