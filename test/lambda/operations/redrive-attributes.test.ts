import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';

import { dispositionOf, readCount } from '../../../lambda/operations/redrive-attributes';
import { INTAKE_DLQ_NAME, INTAKE_QUEUE } from './operations-fixtures';

const CONTEXT = {
  poisonMaxRedrives: 3,
  deadLetterQueueName: INTAKE_DLQ_NAME,
  sourceQueueUrl: INTAKE_QUEUE,
  alarmName: 'Stowage-test-IntakeDlqDepth',
};

function message(attributes: Record<string, MessageAttributeValue>): Message {
  return { MessageId: 'm1', ReceiptHandle: 'rh', Body: 'b', MessageAttributes: attributes };
}

function strings(count: number): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, index) => [
      `a${index}`,
      { DataType: 'String', StringValue: `v${index}` },
    ]),
  );
}

describe('readCount', () => {
  it('reads 0 when absent and null when not a whole number', () => {
    expect(readCount(undefined)).toBe(0);
    expect(readCount({ DataType: 'Number', StringValue: '2' })).toBe(2);
    expect(readCount({ DataType: 'String', StringValue: ' 7 ' })).toBe(7);
    expect(readCount({ DataType: 'Number', StringValue: '-1' })).toBeNull();
    expect(readCount({ DataType: 'Number', StringValue: '1.5' })).toBeNull();
    expect(readCount({ DataType: 'Binary', BinaryValue: Buffer.from('1') })).toBeNull();
  });
});

describe('dispositionOf', () => {
  it('parks a message whose count cannot be read, keeping the raw value', () => {
    // Act
    const disposition = dispositionOf(
      message({ 'stowage-redrive-count': { DataType: 'String', StringValue: 'lots' } }),
      CONTEXT,
    );

    // Assert
    expect(disposition).toMatchObject({
      kind: 'park',
      redriveCount: null,
      reason: 'its redrive count attribute is not a whole number',
    });
    expect(disposition.attributes['stowage-redrive-count']).toEqual({
      DataType: 'String',
      StringValue: 'lots',
    });
  });

  it('redrives a message with 9 attributes of its own (10 with the count)', () => {
    // Act
    const disposition = dispositionOf(message(strings(9)), CONTEXT);

    // Assert
    expect(disposition.kind).toBe('redrive');
    expect(Object.keys(disposition.attributes)).toHaveLength(10);
  });

  it('parks a message with 10 attributes of its own, packing them into one attribute so none is lost', () => {
    // Arrange
    const own = { ...strings(9), blob: { DataType: 'Binary.gz', BinaryValue: Buffer.from([0, 255]) } };

    // Act
    const disposition = dispositionOf(message(own), CONTEXT);

    // Assert
    expect(disposition).toMatchObject({
      kind: 'park',
      redriveCount: 0,
      reason: 'no room for the redrive count next to its 10 message attributes',
    });
    expect(Object.keys(disposition.attributes).sort()).toEqual([
      'stowage-alarm',
      'stowage-dead-letter-queue',
      'stowage-original-attributes',
      'stowage-parked-reason',
      'stowage-redrive-count',
      'stowage-source-queue',
    ]);
    const packed = JSON.parse(disposition.attributes['stowage-original-attributes']!.StringValue!);
    expect(packed['a0']).toEqual({ DataType: 'String', StringValue: 'v0' });
    expect(packed['blob']).toEqual({
      DataType: 'Binary.gz',
      BinaryValue: Buffer.from([0, 255]).toString('base64'),
    });
    expect(Object.keys(packed)).toHaveLength(10);
  });

  it('keeps up to 5 own attributes next to the parking attributes, never more than 10 in all', () => {
    // Act
    const five = dispositionOf(
      message({ ...strings(5), 'stowage-redrive-count': { DataType: 'Number', StringValue: '3' } }),
      CONTEXT,
    );
    const six = dispositionOf(
      message({ ...strings(6), 'stowage-redrive-count': { DataType: 'Number', StringValue: '3' } }),
      CONTEXT,
    );

    // Assert
    expect(Object.keys(five.attributes)).toHaveLength(10);
    expect(five.attributes['a4']).toEqual({ DataType: 'String', StringValue: 'v4' });
    expect(Object.keys(six.attributes)).toHaveLength(6);
    expect(six.attributes['stowage-original-attributes']).toBeDefined();
  });

  it('parks everything when the limit is 0', () => {
    expect(dispositionOf(message({}), { ...CONTEXT, poisonMaxRedrives: 0 })).toMatchObject({
      kind: 'park',
      reason: 'already redriven 0 times (limit 0)',
    });
  });
});
