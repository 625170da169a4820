import { loadScanConfig } from '../../../lambda/scan/scan-config';
import { HandlerConfigError } from '../../../lambda/runtime/handler-config';

const BASE = {
  STOWAGE_UPLOADS_BUCKET: 'uploads',
  STOWAGE_RESULTS_BUS: 'bus',
  STOWAGE_STATUS_TABLE: 'table',
  STOWAGE_ENV: 'dev',
};

describe('loadScanConfig', () => {
  it('reads the required variables and defaults the optional ones', () => {
    // Arrange / Act
    const config = loadScanConfig(BASE);
    // Assert
    expect(config).toMatchObject({
      uploadsBucket: 'uploads',
      resultsBus: 'bus',
      guardDutyInconclusive: 'ERROR',
    });
    expect(config.clamd).toBeUndefined();
    expect(config.allowedTypes).toContain('image/png');
    expect(config.allowEncryptedArchiveEntries).toBe(false);
  });

  it('parses the clamd address, allowed types and GuardDuty policy', () => {
    // Arrange / Act
    const config = loadScanConfig({
      ...BASE,
      STOWAGE_CLAMD_ADDRESS: 'clamd.internal:3310',
      STOWAGE_ALLOWED_CONTENT_TYPES: 'audio/wav, image/png',
      STOWAGE_GUARDDUTY_INCONCLUSIVE_VERDICT: 'SUSPICIOUS',
    });
    // Assert
    expect(config.clamd).toEqual({ host: 'clamd.internal', port: 3310 });
    expect(config.allowedTypes).toEqual(['audio/wav', 'image/png']);
    expect(config.guardDutyInconclusive).toBe('SUSPICIOUS');
  });

  it('reads the intake queue maxReceiveCount for dead-letter reasons, and names a bad one', () => {
    // Act / Assert
    expect(loadScanConfig({ ...BASE, STOWAGE_DLQ_MAX_RECEIVE_COUNT: '5' }).dlqMaxReceiveCount).toBe(5);
    expect(loadScanConfig(BASE).dlqMaxReceiveCount).toBeUndefined();
    expect(() => loadScanConfig({ ...BASE, STOWAGE_DLQ_MAX_RECEIVE_COUNT: '0' })).toThrow(
      /STOWAGE_DLQ_MAX_RECEIVE_COUNT/,
    );
  });

  it('reads the encrypted-entry switch and rejects anything but true or false', () => {
    // Arrange / Act
    const config = loadScanConfig({ ...BASE, STOWAGE_SCAN_ALLOW_ENCRYPTED_ENTRIES: 'true' });
    // Assert
    expect(config.allowEncryptedArchiveEntries).toBe(true);
    expect(() => loadScanConfig({ ...BASE, STOWAGE_SCAN_ALLOW_ENCRYPTED_ENTRIES: 'yes' })).toThrow(
      /STOWAGE_SCAN_ALLOW_ENCRYPTED_ENTRIES/,
    );
  });

  it('names every bad variable', () => {
    // Arrange / Act / Assert
    expect(() => loadScanConfig({ ...BASE, STOWAGE_RESULTS_BUS: '', STOWAGE_CLAMD_ADDRESS: 'nope' })).toThrow(
      HandlerConfigError,
    );
    expect(() => loadScanConfig({ ...BASE, STOWAGE_RESULTS_BUS: '', STOWAGE_CLAMD_ADDRESS: 'nope' })).toThrow(
      /STOWAGE_RESULTS_BUS.*STOWAGE_CLAMD_ADDRESS/,
    );
  });
});
