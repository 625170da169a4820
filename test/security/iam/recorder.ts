import type * as S3 from '@aws-sdk/client-s3';
import type * as Kms from '@aws-sdk/client-kms';
import type * as Sqs from '@aws-sdk/client-sqs';
import type * as Sns from '@aws-sdk/client-sns';
import type * as DynamoDb from '@aws-sdk/client-dynamodb';
import type * as Documents from '@aws-sdk/lib-dynamodb';
import type * as Events from '@aws-sdk/client-eventbridge';
import type * as CloudWatch from '@aws-sdk/client-cloudwatch';
import type * as Lambda from '@aws-sdk/client-lambda';
import type * as Sts from '@aws-sdk/client-sts';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { SdkCall, SdkService } from '../../../lib/security/iam-contract/sdk-call';

/** Mocks of every AWS client a Stowage host builds, from one isolated module registry. */
export interface ClientMocks {
  readonly s3: AwsClientStub<S3.S3Client>;
  readonly kms: AwsClientStub<Kms.KMSClient>;
  readonly sqs: AwsClientStub<Sqs.SQSClient>;
  readonly sns: AwsClientStub<Sns.SNSClient>;
  readonly dynamodb: AwsClientStub<DynamoDb.DynamoDBClient>;
  readonly documents: AwsClientStub<Documents.DynamoDBDocumentClient>;
  readonly events: AwsClientStub<Events.EventBridgeClient>;
  readonly cloudwatch: AwsClientStub<CloudWatch.CloudWatchClient>;
  readonly lambda: AwsClientStub<Lambda.LambdaClient>;
  readonly sts: AwsClientStub<Sts.STSClient>;
}

const SERVICE_OF: Record<keyof ClientMocks, SdkService> = {
  s3: 's3',
  kms: 'kms',
  sqs: 'sqs',
  sns: 'sns',
  dynamodb: 'dynamodb',
  documents: 'dynamodb',
  events: 'events',
  cloudwatch: 'cloudwatch',
  lambda: 'lambda',
  sts: 'sts',
};

/** Mocks every client class in the current module registry (call inside jest.isolateModulesAsync). */
export async function mockAllClients(): Promise<ClientMocks> {
  const { mockClient } = await import('aws-sdk-client-mock');
  return {
    s3: mockClient((await import('@aws-sdk/client-s3')).S3Client),
    kms: mockClient((await import('@aws-sdk/client-kms')).KMSClient),
    sqs: mockClient((await import('@aws-sdk/client-sqs')).SQSClient),
    sns: mockClient((await import('@aws-sdk/client-sns')).SNSClient),
    dynamodb: mockClient((await import('@aws-sdk/client-dynamodb')).DynamoDBClient),
    documents: mockClient((await import('@aws-sdk/lib-dynamodb')).DynamoDBDocumentClient),
    events: mockClient((await import('@aws-sdk/client-eventbridge')).EventBridgeClient),
    cloudwatch: mockClient((await import('@aws-sdk/client-cloudwatch')).CloudWatchClient),
    lambda: mockClient((await import('@aws-sdk/client-lambda')).LambdaClient),
    sts: mockClient((await import('@aws-sdk/client-sts')).STSClient),
  };
}

/** Every command the code sent through the mocked clients, in order per client. */
export function recordedCalls(mocks: ClientMocks): SdkCall[] {
  return (Object.keys(SERVICE_OF) as (keyof ClientMocks)[]).flatMap((name) =>
    (mocks[name] as unknown as AwsClientStub<S3.S3Client>).calls().map((call) => {
      const command = call.args[0] as unknown as {
        constructor: { name: string };
        input: Record<string, unknown>;
      };
      return { service: SERVICE_OF[name], command: command.constructor.name, input: command.input };
    }),
  );
}

/** Loads a module afresh (a Lambda cold start) with `env` (until restoreEnv), every AWS client mocked. */
export async function coldStart<T>(
  load: () => Promise<T>,
  env: Readonly<Record<string, string>>,
  arrange: (mocks: ClientMocks) => Promise<void> | void,
): Promise<{ loaded: T; mocks: ClientMocks }> {
  savedEnv ??= process.env;
  process.env = {
    ...savedEnv,
    ...env,
    AWS_REGION: env.AWS_REGION ?? 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  let result: { loaded: T; mocks: ClientMocks } | undefined;
  await jest.isolateModulesAsync(async () => {
    const mocks = await mockAllClients();
    await arrange(mocks);
    result = { loaded: await load(), mocks };
  });
  return result as { loaded: T; mocks: ClientMocks };
}

let savedEnv: NodeJS.ProcessEnv | undefined;

/**
 * Restores process.env after coldStart (call in afterEach). The handler keeps the cold start's environment while
 * it runs: the SDK reads credentials lazily.
 */
export function restoreEnv(): void {
  if (savedEnv) process.env = savedEnv;
  savedEnv = undefined;
}
