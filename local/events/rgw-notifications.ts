import { createServer } from 'http';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { S3Endpoint } from '../../core/aws/s3-client';

/** Largest notification body accepted (RGW sends one record per request). */
const MAX_BODY_BYTES = 1024 * 1024;

/** A running receiver of RGW's HTTP-pushed bucket notifications. */
export interface NotificationReceiver {
  /** URL to give RGW as the topic's push-endpoint. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Receives RGW bucket notifications pushed over HTTP on 127.0.0.1 and hands each JSON body (`{ Records: [...] }`)
 * to `accept`. It answers 200 only after `accept` has taken the body (enqueued it), and 500 when `accept`
 * throws, so that RGW's own retry, not this process, decides what happens to a notification it could not hand
 * over: nothing is acknowledged before it is held.
 */
export async function startNotificationReceiver(
  accept: (body: string) => void | Promise<void>,
  options: { port?: number } = {},
): Promise<NotificationReceiver> {
  const server: Server = createServer((req, res) => void handle(req, res, accept));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notifications`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  accept: (body: string) => void | Promise<void>,
): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  try {
    const parsed = JSON.parse(body) as { Records?: unknown };
    if (!Array.isArray(parsed.Records)) throw new Error('no Records array');
  } catch (error) {
    res
      .writeHead(400, { 'content-type': 'text/plain' })
      .end(`not an S3 notification: ${(error as Error).message}`);
    return;
  }
  try {
    await accept(body);
    res.writeHead(200).end();
  } catch {
    res.writeHead(500).end();
  }
}

export interface SubscribeOptions {
  /** The S3 endpoint RGW serves (its SNS-compatible API lives on the same endpoint). */
  readonly endpoint: S3Endpoint;
  readonly s3: S3Client;
  readonly bucket: string;
  /** Only keys under this prefix notify. */
  readonly prefix: string;
  /** Where RGW pushes: a NotificationReceiver's url. */
  readonly pushEndpoint: string;
  /** Topic name. Default `<bucket>-object-created`. */
  readonly topicName?: string;
}

/**
 * Subscribes `pushEndpoint` to object-created events of `bucket` under `prefix`: a topic through RGW's
 * SNS-compatible API with a `push-endpoint`, then the bucket's notification configuration. The local
 * counterpart of the EventBridge rule the Intake stack creates on AWS.
 */
export async function subscribeObjectCreated(options: SubscribeOptions): Promise<string> {
  const sns = new SNSClient({
    endpoint: options.endpoint.endpoint,
    region: options.endpoint.region ?? 'us-east-1',
    credentials: options.endpoint.credentials,
  });
  try {
    const topic = await sns.send(
      new CreateTopicCommand({
        Name: options.topicName ?? `${options.bucket}-object-created`,
        Attributes: { 'push-endpoint': options.pushEndpoint },
      }),
    );
    if (!topic.TopicArn) throw new Error(`RGW created no topic for ${options.bucket}`);
    await options.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: options.bucket,
        NotificationConfiguration: {
          TopicConfigurations: [
            {
              Id: 'stowage-object-created',
              TopicArn: topic.TopicArn,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: options.prefix }] } },
            },
          ],
        },
      }),
    );
    return topic.TopicArn;
  } finally {
    sns.destroy();
  }
}
