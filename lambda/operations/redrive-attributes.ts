import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';

/**
 * Message attributes the operations handler sets. SQS allows 10 attributes per message; a redriven message gets
 * one (the count), a parked one at most six (see `parkedAttributes`).
 */
export const REDRIVE_ATTRIBUTES = {
  /** How many times the message was redriven from a DLQ (Number; absent = 0). */
  COUNT: 'stowage-redrive-count',
  /** Parked: the DLQ it was taken from. */
  DEAD_LETTER_QUEUE: 'stowage-dead-letter-queue',
  /** Parked: the queue it would have been redriven to. */
  SOURCE_QUEUE: 'stowage-source-queue',
  /** Parked: the alarm whose redrive parked it. */
  ALARM: 'stowage-alarm',
  /** Parked: why it was parked instead of redriven. */
  PARKED_REASON: 'stowage-parked-reason',
  /** Parked: the message's own attributes as JSON, when they do not fit next to the parking attributes. */
  ORIGINAL_ATTRIBUTES: 'stowage-original-attributes',
} as const;

/** SQS's limit of message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

const OWN_NAMES: ReadonlySet<string> = new Set(Object.values(REDRIVE_ATTRIBUTES));

type Attributes = Record<string, MessageAttributeValue>;

/** Where one DLQ message goes. */
export type Disposition =
  | {
      readonly kind: 'redrive';
      /** The count the redriven copy carries (one more than before). */
      readonly redriveCount: number;
      readonly attributes: Attributes;
    }
  | {
      readonly kind: 'park';
      /** Redrives so far; null when the attribute could not be read. */
      readonly redriveCount: number | null;
      readonly reason: string;
      readonly attributes: Attributes;
    };

export interface DispositionContext {
  /** A message already redriven this many times is parked. */
  readonly poisonMaxRedrives: number;
  readonly deadLetterQueueName: string;
  readonly sourceQueueUrl: string;
  readonly alarmName: string;
}

/**
 * Redrive (count + 1, body and every other attribute unchanged) while the message has been redriven fewer than
 * `poisonMaxRedrives` times; park it otherwise, and also when its count is unreadable or there is no room left
 * for the count attribute, so that no message can cycle between a queue and its DLQ forever.
 */
export function dispositionOf(message: Message, context: DispositionContext): Disposition {
  const original = copyAttributes(message.MessageAttributes ?? {});
  const count = readCount(original[REDRIVE_ATTRIBUTES.COUNT]);
  const others = Object.fromEntries(
    Object.entries(original).filter(([name]) => name !== REDRIVE_ATTRIBUTES.COUNT),
  );

  const otherCount = Object.keys(others).length;
  if (count !== null && count < context.poisonMaxRedrives && otherCount < MAX_MESSAGE_ATTRIBUTES) {
    return {
      kind: 'redrive',
      redriveCount: count + 1,
      attributes: { ...others, [REDRIVE_ATTRIBUTES.COUNT]: numberAttribute(count + 1) },
    };
  }
  const reason =
    count === null
      ? 'its redrive count attribute is not a whole number'
      : count >= context.poisonMaxRedrives
        ? `already redriven ${count} times (limit ${context.poisonMaxRedrives})`
        : `no room for the redrive count next to its ${otherCount} message attributes`;
  return {
    kind: 'park',
    redriveCount: count,
    reason,
    attributes: parkedAttributes(original, count, reason, context),
  };
}

/** The redrive count of a message: 0 when absent, null when present but not a whole number. */
export function readCount(value: MessageAttributeValue | undefined): number | null {
  if (value === undefined) return 0;
  const text = value.StringValue?.trim();
  if (value.DataType?.startsWith('Binary') || text === undefined || !/^\d{1,9}$/.test(text)) return null;
  return Number(text);
}

/**
 * The parked copy's attributes: the five parking attributes, plus the message's own attributes when they fit in
 * SQS's 10, else all of them packed as JSON into one attribute, so nothing about the message is lost.
 */
function parkedAttributes(
  original: Attributes,
  count: number | null,
  reason: string,
  context: DispositionContext,
): Attributes {
  const rawCount = original[REDRIVE_ATTRIBUTES.COUNT];
  const parking: Attributes = {
    [REDRIVE_ATTRIBUTES.COUNT]:
      count !== null
        ? numberAttribute(count)
        : stringAttribute(rawCount?.StringValue ?? `(binary ${rawCount?.DataType ?? ''})`),
    [REDRIVE_ATTRIBUTES.DEAD_LETTER_QUEUE]: stringAttribute(context.deadLetterQueueName),
    [REDRIVE_ATTRIBUTES.SOURCE_QUEUE]: stringAttribute(context.sourceQueueUrl),
    [REDRIVE_ATTRIBUTES.ALARM]: stringAttribute(context.alarmName),
    [REDRIVE_ATTRIBUTES.PARKED_REASON]: stringAttribute(reason),
  };
  const own = Object.entries(original).filter(([name]) => !OWN_NAMES.has(name));
  if (own.length === 0) return parking;
  if (own.length + Object.keys(parking).length <= MAX_MESSAGE_ATTRIBUTES) {
    return { ...Object.fromEntries(own), ...parking };
  }
  const packed = Object.fromEntries(
    own.map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined
          ? { BinaryValue: Buffer.from(value.BinaryValue).toString('base64') }
          : {}),
      },
    ]),
  );
  return { ...parking, [REDRIVE_ATTRIBUTES.ORIGINAL_ATTRIBUTES]: stringAttribute(JSON.stringify(packed)) };
}

/** The sendable part of received attributes (SQS does not implement the list values). */
function copyAttributes(attributes: Attributes): Attributes {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
      },
    ]),
  );
}

/** Bytes SQS counts for a message: body plus each attribute's name, type and value. */
export function messageSize(body: string, attributes: Attributes): number {
  let size = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue);
    if (value.BinaryValue !== undefined) size += value.BinaryValue.byteLength;
  }
  return size;
}

function numberAttribute(value: number): MessageAttributeValue {
  return { DataType: 'Number', StringValue: String(value) };
}

function stringAttribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}
