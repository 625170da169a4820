import { randomUUID } from 'node:crypto';

import { SNSClient, type PublishCommandInput, type PublishCommandOutput } from '@aws-sdk/client-sns';

/** One message a handler published to an SNS topic, as local mode reports it. */
export interface LocalNotification {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
}

/**
 * An SNSClient for local mode, which has no SNS: every `Publish` is handed to `deliver` (the console) and
 * answered with a message id, so handlers that alert an operations topic (the backup verifier) run unchanged.
 * Any other SNS operation fails loudly: nothing is silently dropped. Nothing is sent over the network.
 */
export function createConsoleSnsClient(deliver: (notification: LocalNotification) => void): SNSClient {
  const client = new SNSClient({
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName !== 'PublishCommand') {
        throw new Error(`local mode has no SNS: ${context.commandName} is not supported (only Publish)`);
      }
      const input = args.input as PublishCommandInput;
      deliver({
        topicArn: input.TopicArn ?? input.TargetArn ?? '(no topic)',
        ...(input.Subject === undefined ? {} : { subject: input.Subject }),
        message: input.Message ?? '',
      });
      const output: PublishCommandOutput = { MessageId: randomUUID(), $metadata: { httpStatusCode: 200 } };
      // No HTTP response: nothing went over the network.
      return { output, response: undefined };
    },
    { step: 'initialize', name: 'stowageLocalConsoleSns' },
  );
  return client;
}
