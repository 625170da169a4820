import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { MetricsLog } from '../../../local/runtime/metrics-log';

describe('MetricsLog', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stowage-metrics-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per publish, with default and per-publish dimensions, then resets them', () => {
    // Arrange
    const file = path.join(dir, 'nested', 'metrics.jsonl');
    const log = new MetricsLog({
      file,
      service: 'verify',
      defaultDimensions: { env: 'dev' },
      now: () => new Date('2026-11-23T04:00:00Z'),
    });

    // Act
    log.addDimension('source', 'main-db');
    log.addMetric('BackupVerified', 'Count', 1);
    log.addMetric('BackupVerified', 'Count', 1);
    log.addMetric('BackupSizeBytes', 'Bytes', 2048);
    log.publishStoredMetrics();
    log.addMetric('BackupVerified', 'Count', 0);
    log.publishStoredMetrics();
    log.publishStoredMetrics(); // nothing stored: no line

    // Assert
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      {
        time: '2026-11-23T04:00:00.000Z',
        namespace: 'Stowage',
        service: 'verify',
        dimensions: { env: 'dev', source: 'main-db' },
        metrics: {
          BackupVerified: { unit: 'Count', value: 2 },
          BackupSizeBytes: { unit: 'Bytes', value: 2048 },
        },
      },
      {
        time: '2026-11-23T04:00:00.000Z',
        namespace: 'Stowage',
        service: 'verify',
        dimensions: { env: 'dev' },
        metrics: { BackupVerified: { unit: 'Count', value: 0 } },
      },
    ]);
    expect(log.entries).toEqual(lines);
  });

  it('writes another service into the same file with forService', () => {
    // Arrange
    const file = path.join(dir, 'shared.jsonl');
    const local = new MetricsLog({ file, service: 'stowage-local', defaultDimensions: { env: 'dev' } });

    // Act
    const verifier = local.forService('backup-verify');
    verifier.addMetric('BackupVerified', 'Count', 1);
    verifier.publishStoredMetrics();
    local.addMetric('Processed', 'Count', 1);
    local.publishStoredMetrics();

    // Assert
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.namespace, line.service, line.dimensions])).toEqual([
      ['Stowage', 'backup-verify', { env: 'dev' }],
      ['Stowage', 'stowage-local', { env: 'dev' }],
    ]);
  });
});
