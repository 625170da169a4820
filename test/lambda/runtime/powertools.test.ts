import { HANDLER_SERVICES, METRICS_NAMESPACE } from '../../../core/contracts/metrics';
import { handlerPowertools } from '../../../lambda/runtime/powertools';

describe('handlerPowertools', () => {
  const savedEnv = process.env;
  afterEach(() => {
    process.env = savedEnv;
    jest.restoreAllMocks();
  });

  it('takes the service name and namespace from the POWERTOOLS_* variables StowageFunction sets', () => {
    // Arrange
    process.env = {
      ...savedEnv,
      POWERTOOLS_SERVICE_NAME: HANDLER_SERVICES.scan,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_DEV: '',
    };
    const lines: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });

    // Act
    const { logger, metrics } = handlerPowertools('test');
    logger.info('hello');
    metrics.addMetric('ScanCLEAN', 'Count', 1);
    metrics.publishStoredMetrics();

    // Assert: one service name for logs and metrics; env on every log line and metric
    const records = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((r) => r.message === 'hello')).toMatchObject({ service: 'scan', env: 'test' });
    expect(records.find((r) => '_aws' in r)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Stowage', Dimensions: [['service', 'env']] }] },
      service: 'scan',
      env: 'test',
      ScanCLEAN: 1,
    });
  });

  it('leaves the tracer off outside Lambda, so captured clients are returned as they are', () => {
    // Arrange
    process.env = { ...savedEnv, AWS_EXECUTION_ENV: '', POWERTOOLS_SERVICE_NAME: HANDLER_SERVICES.scan };
    const client = { middlewareStack: { add: jest.fn() } };

    // Act
    const { tracer } = handlerPowertools('test');

    // Assert
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(tracer.captureAWSv3Client(client)).toBe(client);
    expect(client.middlewareStack.add).not.toHaveBeenCalled();
  });
});
