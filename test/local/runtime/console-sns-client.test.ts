import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';

import { createConsoleSnsClient, type LocalNotification } from '../../../local/runtime/console-sns-client';

describe('createConsoleSnsClient', () => {
  it('hands every Publish to the console and answers with a message id, sending nothing', async () => {
    // Arrange
    const delivered: LocalNotification[] = [];
    const sns = createConsoleSnsClient((notification) => delivered.push(notification));

    // Act
    const response = await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
        Subject: 'S',
        Message: 'M\nN',
      }),
    );

    // Assert
    expect(response.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(delivered).toEqual([
      { topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', subject: 'S', message: 'M\nN' },
    ]);
  });

  it('fails loudly on any other SNS operation', async () => {
    // Arrange
    const sns = createConsoleSnsClient(() => undefined);

    // Act / Assert
    await expect(sns.send(new CreateTopicCommand({ Name: 't' }))).rejects.toThrow(
      'local mode has no SNS: CreateTopicCommand is not supported (only Publish)',
    );
  });

  it('lets a failing console fail the publish (the verifier then reports the notification failed)', async () => {
    // Arrange
    const sns = createConsoleSnsClient(() => {
      throw new Error('EPIPE');
    });

    // Act / Assert
    await expect(sns.send(new PublishCommand({ TopicArn: 't', Message: 'm' }))).rejects.toThrow('EPIPE');
  });
});
