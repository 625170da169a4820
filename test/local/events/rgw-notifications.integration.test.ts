import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { NotificationReceiver } from '../../../local/events/rgw-notifications';
import { startNotificationReceiver, subscribeObjectCreated } from '../../../local/events/rgw-notifications';
import {
  createTestS3Client,
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../../support/integration/servers';

interface RgwRecord {
  eventSource: string;
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size: number; versionId?: string } };
}

describe('RGW object-created notifications pushed over HTTP', () => {
  const servers = getTestServers();
  const s3 = createTestS3Client();
  const bucket = uniqueBucketName('notify');
  const bodies: string[] = [];
  let receiver: NotificationReceiver;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    receiver = await startNotificationReceiver((body) => {
      bodies.push(body);
    });
    await subscribeObjectCreated({
      endpoint: {
        endpoint: servers.s3.endpoint,
        region: servers.s3.region,
        credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
      },
      s3,
      bucket,
      prefix: 'uploads/',
      pushEndpoint: receiver.url,
    });
  });

  afterAll(async () => {
    await receiver.close();
    await deleteBucketWithContents(s3, bucket);
  });

  async function recordsFor(key: string, timeoutMs = 10_000): Promise<RgwRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = bodies
        .flatMap((b) => (JSON.parse(b) as { Records: RgwRecord[] }).Records)
        .filter((r) => r.s3.object.key === key);
      if (records.length > 0 || Date.now() > deadline) return records;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('delivers the raw key (spaces, +, %, unicode) of an object created under the prefix', async () => {
    // Arrange
    const key = 'uploads/u1/my dir/ä file+1%(x).txt';
    // Act
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'hello' }));
    // Assert
    const records = await recordsFor(key);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      eventSource: 'ceph:s3',
      eventName: expect.stringMatching(/^ObjectCreated:/),
      s3: { bucket: { name: bucket }, object: { key, size: 5 } },
    });
  });

  it('does not notify for keys outside the prefix', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'elsewhere/x.txt', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/marker.txt', Body: 'm' }));
    await recordsFor('uploads/marker.txt');
    expect(await recordsFor('elsewhere/x.txt', 200)).toEqual([]);
  });
});
