import {
  decodeGuardDutyScanResult,
  guardDutyVerdict,
  type GuardDutyResultStatus,
} from '../../../core/events/guardduty-scan-result';
import { InvalidEventError } from '../../../core/events/invalid-event-error';

function guardDutyEvent(
  status: string,
  threats: { name: string }[] | null = null,
  objectKey = 'uploads/a%20b+c.png',
) {
  return {
    version: '0',
    id: 'g1',
    'detail-type': 'GuardDuty Malware Protection Object Scan Result',
    source: 'aws.guardduty',
    account: '123456789012',
    region: 'eu-west-1',
    detail: {
      schemaVersion: '1.0',
      scanStatus: 'COMPLETED',
      resourceType: 'S3_OBJECT',
      s3ObjectDetails: {
        bucketName: 'stowage-dev-uploads',
        objectKey,
        eTag: 'etag1',
        versionId: 'v7',
        s3Throttled: false,
      },
      scanResultDetails: { scanResultStatus: status, threats },
    },
  };
}

describe('GuardDuty Malware Protection results', () => {
  it('decodes the object reference (key decoded like EventBridge keys)', () => {
    // Arrange / Act
    const result = decodeGuardDutyScanResult(guardDutyEvent('NO_THREATS_FOUND'));
    // Assert
    expect(result.object).toEqual({
      bucket: 'stowage-dev-uploads',
      key: 'uploads/a b+c.png',
      versionId: 'v7',
      eTag: 'etag1',
      source: 'aws.guardduty',
    });
    expect(result.threats).toEqual([]);
  });

  it('maps THREATS_FOUND to INFECTED with the first threat as signature', () => {
    // Arrange
    const result = decodeGuardDutyScanResult(
      guardDutyEvent('THREATS_FOUND', [{ name: 'EICAR-Test-File (not a virus)' }, { name: 'Other' }]),
    );
    // Act
    const verdict = guardDutyVerdict(result, 'ERROR');
    // Assert
    expect(verdict).toMatchObject({
      status: 'INFECTED',
      engine: 'guardduty',
      signature: 'EICAR-Test-File (not a virus)',
    });
  });

  it('maps NO_THREATS_FOUND to CLEAN', () => {
    // Arrange / Act
    const verdict = guardDutyVerdict(
      decodeGuardDutyScanResult(guardDutyEvent('NO_THREATS_FOUND')),
      'SUSPICIOUS',
    );
    // Assert
    expect(verdict).toMatchObject({ status: 'CLEAN', engine: 'guardduty' });
  });

  it.each<[GuardDutyResultStatus, 'ERROR' | 'SUSPICIOUS']>([
    ['UNSUPPORTED', 'ERROR'],
    ['ACCESS_DENIED', 'SUSPICIOUS'],
    ['FAILED', 'ERROR'],
    ['FAILED', 'SUSPICIOUS'],
  ])('maps %s to the env policy %s', (status, policy) => {
    // Arrange
    const result = decodeGuardDutyScanResult(guardDutyEvent(status));
    // Act
    const verdict = guardDutyVerdict(result, policy);
    // Assert
    expect(verdict.status).toBe(policy);
    expect(verdict.reason).toContain(status);
  });

  it('rejects an unknown result status, naming the field', () => {
    // Arrange / Act / Assert
    expect(() => decodeGuardDutyScanResult(guardDutyEvent('MAYBE'))).toThrow(InvalidEventError);
    expect(() => decodeGuardDutyScanResult(guardDutyEvent('MAYBE'))).toThrow(/scanResultStatus/);
  });
});
