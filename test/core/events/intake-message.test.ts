import { decodeIntakeMessage } from '../../../core/events/intake-message';
import { InvalidEventError } from '../../../core/events/invalid-event-error';

describe('decodeIntakeMessage', () => {
  it('decodes every record of an S3-style notification, per source', () => {
    // Arrange
    const body = JSON.stringify({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'b' }, object: { key: 'a+b' } },
        },
        {
          eventSource: 'ceph:s3',
          eventName: 'ObjectCreated:Post',
          s3: { bucket: { name: 'b' }, object: { key: 'a+b' } },
        },
      ],
    });
    // Act
    const triggers = decodeIntakeMessage(body);
    // Assert
    expect(triggers.map((trigger) => trigger.object.key)).toEqual(['a b', 'a+b']);
  });

  it('decodes an EventBridge Object Created event', () => {
    // Arrange
    const body = JSON.stringify({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'b' }, object: { key: 'x%20y+z', 'version-id': 'v1' } },
    });
    // Act
    const [trigger] = decodeIntakeMessage(body);
    // Assert
    expect(trigger).toEqual({ object: { bucket: 'b', key: 'x y+z', versionId: 'v1', source: 'aws.s3' } });
  });

  it('carries the GuardDuty result with the object', () => {
    // Arrange
    const body = JSON.stringify({
      source: 'aws.guardduty',
      'detail-type': 'GuardDuty Malware Protection Object Scan Result',
      detail: {
        s3ObjectDetails: { bucketName: 'b', objectKey: 'k', versionId: 'v1' },
        scanResultDetails: { scanResultStatus: 'NO_THREATS_FOUND' },
      },
    });
    // Act
    const [trigger] = decodeIntakeMessage(body);
    // Assert
    expect(trigger?.guardDuty?.resultStatus).toBe('NO_THREATS_FOUND');
    expect(trigger?.object.source).toBe('aws.guardduty');
  });

  it('names no object for an s3:TestEvent', () => {
    // Arrange / Act / Assert
    expect(decodeIntakeMessage(JSON.stringify({ Event: 's3:TestEvent', Bucket: 'b' }))).toEqual([]);
  });

  it.each([
    ['not JSON', '{'],
    ['an unknown shape', JSON.stringify({ hello: 'world' })],
    ['an unknown source', JSON.stringify({ source: 'aws.ec2', 'detail-type': 'x' })],
    ['an unknown record source', JSON.stringify({ Records: [{ eventSource: 'aws:sqs' }] })],
  ])('rejects %s', (_name, body) => {
    // Arrange / Act / Assert
    expect(() => decodeIntakeMessage(body)).toThrow(InvalidEventError);
  });
});
