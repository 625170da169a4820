import { startNotificationReceiver } from '../../../local/events/rgw-notifications';

describe('notification receiver', () => {
  it('acknowledges a notification only once it is accepted, and 500s when accepting fails', async () => {
    // Arrange
    const accepted: string[] = [];
    let failNext = true;
    const receiver = await startNotificationReceiver((body) => {
      if (failNext) {
        failNext = false;
        throw new Error('queue full');
      }
      accepted.push(body);
    });
    const body = JSON.stringify({ Records: [{ eventSource: 'ceph:s3' }] });
    try {
      // Act
      const first = await fetch(receiver.url, { method: 'POST', body });
      const second = await fetch(receiver.url, { method: 'POST', body });
      // Assert
      expect(first.status).toBe(500);
      expect(second.status).toBe(200);
      expect(accepted).toEqual([body]);
    } finally {
      await receiver.close();
    }
  });

  it('refuses what is not an S3 notification with 400 and other methods with 405', async () => {
    const receiver = await startNotificationReceiver(() => {
      throw new Error('must not be called');
    });
    try {
      const notJson = await fetch(receiver.url, { method: 'POST', body: 'hello' });
      const noRecords = await fetch(receiver.url, { method: 'POST', body: '{"x":1}' });
      const get = await fetch(receiver.url);
      expect([notJson.status, noRecords.status, get.status]).toEqual([400, 400, 405]);
      expect(await noRecords.text()).toBe('not an S3 notification: no Records array');
    } finally {
      await receiver.close();
    }
  });
});
