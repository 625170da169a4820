import { loadProcessConfig } from '../../../lambda/process/process-config';
import { loadQuarantineConfig } from '../../../lambda/quarantine/quarantine-config';

const COMMON = { STOWAGE_UPLOADS_BUCKET: 'uploads', STOWAGE_STATUS_TABLE: 'table', STOWAGE_ENV: 'dev' };
const PROCESS = { ...COMMON, STOWAGE_PROCESSED_BUCKET: 'processed', STOWAGE_PROCESSED_KEY_ARN: 'arn:p' };
const QUARANTINE = {
  ...COMMON,
  STOWAGE_QUARANTINE_BUCKET: 'quarantine',
  STOWAGE_QUARANTINE_KEY_ARN: 'arn:q',
};

describe.each([
  ['process', (env: Record<string, string>) => loadProcessConfig({ ...PROCESS, ...env })],
  ['quarantine', (env: Record<string, string>) => loadQuarantineConfig({ ...QUARANTINE, ...env })],
])('the %s handler config', (_name, load) => {
  it('reads the queue maxReceiveCount the stack passes, for dead-letter reasons', () => {
    expect(load({ STOWAGE_DLQ_MAX_RECEIVE_COUNT: '5' }).dlqMaxReceiveCount).toBe(5);
    expect(load({}).dlqMaxReceiveCount).toBeUndefined();
  });

  it('names a bad maxReceiveCount', () => {
    expect(() => load({ STOWAGE_DLQ_MAX_RECEIVE_COUNT: '1001' })).toThrow(
      /STOWAGE_DLQ_MAX_RECEIVE_COUNT.*at most 1000/,
    );
  });
});
