import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createS3Client } from '../../../core/aws/s3-client';
import type { LiveClients } from '../../../lib/security/iam-contract/live-model';
import type { Connection } from '../../shared/connection';

/**
 * The clients the permission check reads the deployment with, created on first use: IAM, SQS, SNS and DynamoDB in
 * the connection's region, S3 and KMS in each region asked for (the replica region's buckets and keys). Always AWS:
 * the check does not run against an S3-compatible endpoint.
 */
export function createLiveClients(connection: Connection): LiveClients & { destroy(): void } {
  const { region, profile } = connection;
  const made: { destroy(): void }[] = [];
  const once = <T extends { destroy(): void }>(create: () => T): (() => T) => {
    let client: T | undefined;
    return () => {
      if (!client) made.push((client = create()));
      return client;
    };
  };
  const perRegion = <T extends { destroy(): void }>(create: (r: string) => T): ((r: string) => T) => {
    const clients = new Map<string, () => T>();
    return (r) => {
      if (!clients.has(r))
        clients.set(
          r,
          once(() => create(r)),
        );
      return clients.get(r)!();
    };
  };
  const iam = once(() => new IAMClient({ region, profile }));
  const sqs = once(() => new SQSClient({ region, profile }));
  const sns = once(() => new SNSClient({ region, profile }));
  const dynamodb = once(() => new DynamoDBClient({ region, profile }));
  const s3 = perRegion<S3Client>((r) => createS3Client({ region: r, profile }));
  const kms = perRegion((r) => new KMSClient({ region: r, profile }));
  return {
    get iam() {
      return iam();
    },
    get sqs() {
      return sqs();
    },
    get sns() {
      return sns();
    },
    get dynamodb() {
      return dynamodb();
    },
    s3,
    kms,
    destroy: () => made.forEach((client) => client.destroy()),
  };
}
