import { MetricUnit } from '@aws-lambda-powertools/metrics';

import { parseBackupSources, SourceConfigError } from '../../../../core/backup/verify/source-config-schema';
import { emitVerificationMetrics, METRIC_NAMES } from '../../../../core/backup/verify/verification-metrics';
import {
  buildReport,
  failed,
  failureReasons,
  isFailure,
  passed,
  statusOfChecks,
  unverified,
  type SourceReport,
} from '../../../../core/backup/verify/verification-report';

function unverifiedSource(contentChecks?: 'optional'): SourceReport {
  return {
    source: 'vault',
    format: 'pg-dump',
    status: 'unverified',
    checks: [passed('checksum', 'matches'), unverified('decryption', 'no passphrase')],
    ...(contentChecks ? { contentChecks } : {}),
  };
}

describe('the unverified outcome', () => {
  it('derives a status from the checks: a failure wins over an unverified check', () => {
    // Act / Assert
    expect(statusOfChecks([passed('size', 'x')])).toBe('ok');
    expect(statusOfChecks([passed('size', 'x'), unverified('format', 'lz4')])).toBe('unverified');
    expect(statusOfChecks([failed('size', 'x'), unverified('format', 'lz4')])).toBe('failed');
  });

  it('is a failure (report, reasons, metric) unless the source makes content checks optional', () => {
    // Arrange
    const recorded: [string, string, number][] = [];
    const metrics = {
      addDimension: () => undefined,
      addMetric: (name: string, unit: string, value: number) => recorded.push([name, unit, value]),
      publishStoredMetrics: () => undefined,
    };

    // Act
    const required = buildReport({ env: 'dev', at: 'now', bucket: 'b', sources: [unverifiedSource()] });
    const optional = buildReport({
      env: 'dev',
      at: 'now',
      bucket: 'b',
      sources: [unverifiedSource('optional')],
    });
    emitVerificationMetrics(metrics, required);
    emitVerificationMetrics(metrics, optional);

    // Assert
    expect(isFailure(required.sources[0]!)).toBe(true);
    expect(required.ok).toBe(false);
    expect(optional.ok).toBe(true);
    expect(failureReasons(required.sources[0]!)).toEqual(['decryption: unverified: no passphrase']);
    expect(recorded).toEqual([
      [METRIC_NAMES.VERIFIED, MetricUnit.Count, 0],
      [METRIC_NAMES.VERIFIED, MetricUnit.Count, 1],
    ]);
  });

  it('takes contentChecks from the source config, validated', () => {
    // Act
    const [source] = parseBackupSources([{ name: 'vault', format: 'pg-dump', contentChecks: 'optional' }]);
    const bad = () => parseBackupSources([{ name: 'vault', format: 'pg-dump', contentChecks: 'sometimes' }]);

    // Assert
    expect(source!.contentChecks).toBe('optional');
    expect(bad).toThrow(SourceConfigError);
    expect(bad).toThrow(/contentChecks/);
  });
});
