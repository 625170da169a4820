import { ConfigError } from '../../../lib/config';
import { bucketEnvVar, resolveConnection } from '../../../cli/shared/connection';
import { UsageError } from '../../../cli/commands/scan';

describe('resolveConnection', () => {
  it("defaults to dev in the config's region, on AWS, with no buckets named", () => {
    const connection = resolveConnection({}, {});
    expect(connection.config.envName).toBe('dev');
    expect(connection.region).toBe(connection.config.region);
    expect(connection.endpoint).toBeUndefined();
    expect(connection.explicitBuckets).toEqual({});
  });

  it('takes buckets, endpoint and region from the environment, and flags over them', () => {
    // Arrange
    const env = {
      STOWAGE_UPLOADS_BUCKET: 'env-uploads',
      STOWAGE_ACCESS_LOGS_BUCKET: 'env-logs',
      STOWAGE_S3_ENDPOINT: 'http://127.0.0.1:7480',
      AWS_REGION: 'us-east-1',
    };
    // Act
    const connection = resolveConnection({ uploadsBucket: 'flag-uploads', region: 'eu-central-1' }, env);
    // Assert
    expect(connection.explicitBuckets).toEqual({ uploads: 'flag-uploads', 'access-logs': 'env-logs' });
    expect(connection.endpoint).toBe('http://127.0.0.1:7480');
    expect(connection.region).toBe('eu-central-1');
  });

  it('accepts --endpoint-url as --endpoint, and refuses two different ones', () => {
    expect(resolveConnection({ endpointUrl: 'http://h:1' }, {}).endpoint).toBe('http://h:1');
    expect(() => resolveConnection({ endpoint: 'http://a:1', endpointUrl: 'http://b:1' }, {})).toThrow(
      UsageError,
    );
  });

  it('refuses an endpoint that is not an http(s) URL, naming the flag', () => {
    expect(() => resolveConnection({ endpoint: 'localhost:7480' }, {})).toThrow(
      /--endpoint must be an http\(s\) URL/,
    );
  });

  it('refuses an unknown env with the config error listing the allowed ones', () => {
    expect(() => resolveConnection({ env: 'qa' }, {})).toThrow(ConfigError);
    expect(() => resolveConnection({ env: 'qa' }, {})).toThrow(/allowed: dev, staging, prod/);
  });

  it('names bucket variables STOWAGE_<PURPOSE>_BUCKET', () => {
    expect(bucketEnvVar('access-logs')).toBe('STOWAGE_ACCESS_LOGS_BUCKET');
    expect(bucketEnvVar('backups')).toBe('STOWAGE_BACKUPS_BUCKET');
  });
});
