import { randomUUID } from 'node:crypto';

/** Account and region local events claim: no AWS account is involved. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

/** An EventBridge event as a rule's SQS target receives it (the message body). */
export interface EventBridgeEvent<Detail> {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 without milliseconds, like EventBridge's. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Detail;
}

/** Wraps `detail` in the envelope EventBridge delivers to a queue target, so consumers decode the same bytes. */
export function toEventBridgeEvent<Detail>(
  source: string,
  detailType: string,
  detail: Detail,
  now: Date = new Date(),
): EventBridgeEvent<Detail> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: LOCAL_ACCOUNT,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [],
    detail,
  };
}
