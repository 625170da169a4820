import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { queueChecks } from '../../../../cli/commands/doctor/queue-checks';
import { missingCredentials, serviceError } from '../../shared/fake-command-io';
import { doctorContext } from './doctor-context';

const sqs = mockClient(SQSClient);
const BASE = 'https://sqs.eu-west-1.amazonaws.com/123456789012';
const ARN = 'arn:aws:sqs:eu-west-1:123456789012';
const INTAKE = 'Stowage-dev-Intake-IntakeQueueF8C45524-abc';
const INTAKE_DLQ = 'Stowage-dev-Intake-IntakeQueueDeadLetterQueue7AEB8FC5-def';
const PROCESS = 'Stowage-dev-Intake-ProcessQueueDC843CFF-ghi';
const PROCESS_DLQ = 'Stowage-dev-Intake-ProcessQueueDeadLetterQueue2C950874-jkl';

function attributes(name: string, depth: [number, number, number], dlq?: string) {
  return {
    Attributes: {
      QueueArn: `${ARN}:${name}`,
      ApproximateNumberOfMessages: String(depth[0]),
      ApproximateNumberOfMessagesNotVisible: String(depth[1]),
      ApproximateNumberOfMessagesDelayed: String(depth[2]),
      ...(dlq
        ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:${dlq}`, maxReceiveCount: 5 }) }
        : {}),
    },
  };
}

beforeEach(() => {
  sqs.reset();
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: `${BASE}/${INTAKE}` })
    .resolves(attributes(INTAKE, [3, 1, 0], INTAKE_DLQ));
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: `${BASE}/${INTAKE_DLQ}` })
    .resolves(attributes(INTAKE_DLQ, [0, 0, 0]));
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: `${BASE}/${PROCESS}` })
    .resolves(attributes(PROCESS, [0, 0, 0], PROCESS_DLQ));
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: `${BASE}/${PROCESS_DLQ}` })
    .resolves(attributes(PROCESS_DLQ, [2, 0, 0]));
});

describe('intake queue checks', () => {
  it("finds the Intake stack's queues by name prefix: depths pass, a DLQ with messages fails with the redrive hint", async () => {
    // Arrange
    sqs
      .on(ListQueuesCommand)
      .resolvesOnce({ QueueUrls: [`${BASE}/${INTAKE}`, `${BASE}/${INTAKE_DLQ}`], NextToken: 'more' })
      .resolves({ QueueUrls: [`${BASE}/${PROCESS}`, `${BASE}/${PROCESS_DLQ}`] });
    // Act
    const results = await queueChecks(doctorContext(), {});
    // Assert
    expect(sqs.commandCalls(ListQueuesCommand)[0]!.args[0].input.QueueNamePrefix).toBe('Stowage-dev-Intake');
    expect(sqs.commandCalls(ListQueuesCommand)[1]!.args[0].input.NextToken).toBe('more');
    expect(results).toEqual([
      { name: `queue ${INTAKE}`, status: 'PASS', detail: '3 visible, 1 in flight, 0 delayed' },
      { name: `DLQ ${INTAKE_DLQ}`, status: 'PASS', detail: 'empty' },
      { name: `queue ${PROCESS}`, status: 'PASS', detail: '0 visible, 0 in flight, 0 delayed' },
      {
        name: `DLQ ${PROCESS_DLQ}`,
        status: 'FAIL',
        detail: '2 message(s) failed every delivery: 2 visible, 0 in flight, 0 delayed',
        hint: expect.stringMatching(
          new RegExp(
            `redrive: aws sqs start-message-move-task --source-arn ${ARN}:${PROCESS_DLQ} --region eu-west-1`,
          ),
        ),
      },
    ]);
  });

  it("uses --intake-queue-url and finds its DLQ from the queue's redrive policy", async () => {
    sqs.on(GetQueueUrlCommand, { QueueName: INTAKE_DLQ, QueueOwnerAWSAccountId: '123456789012' }).resolves({
      QueueUrl: `${BASE}/${INTAKE_DLQ}`,
    });
    const results = await queueChecks(doctorContext(), { intakeQueueUrl: `${BASE}/${INTAKE}` });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      [`queue ${INTAKE}`, 'PASS'],
      [`DLQ ${INTAKE_DLQ}`, 'PASS'],
    ]);
    expect(sqs.commandCalls(ListQueuesCommand)).toHaveLength(0);
  });

  it('treats --intake-dlq-url as a DLQ', async () => {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: 'https://q/dlq' })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    const [result] = await queueChecks(doctorContext(), { intakeDlqUrl: 'https://q/dlq' });
    expect(result).toMatchObject({ name: 'DLQ dlq', status: 'FAIL' });
  });

  it('fails when no queue has the prefix, with the deploy hint', async () => {
    sqs.on(ListQueuesCommand).resolves({});
    const [result] = await queueChecks(doctorContext(), {});
    expect(result).toMatchObject({
      status: 'FAIL',
      detail: 'no SQS queue named Stowage-dev-Intake* in eu-west-1',
    });
    expect(result!.hint).toMatch(/Stowage-dev-Intake -c env=dev.*--intake-queue-url/);
  });

  it('fails AccessDenied naming the permissions, and missing credentials with their hint', async () => {
    sqs
      .on(ListQueuesCommand)
      .rejectsOnce(serviceError('AccessDenied', 403))
      .rejectsOnce(missingCredentials());
    const [denied] = await queueChecks(doctorContext(), {});
    expect(denied!.hint).toMatch(/sqs:ListQueues and sqs:GetQueueAttributes on Stowage-dev-Intake\*/);
    const [noCredentials] = await queueChecks(doctorContext(), {});
    expect(noCredentials).toMatchObject({ status: 'FAIL', detail: 'no AWS credentials found' });
  });

  it('is SKIP against an S3-compatible endpoint and asks SQS nothing', async () => {
    const results = await queueChecks(doctorContext({ endpoint: 'http://127.0.0.1:7480' }), {
      intakeQueueUrl: 'x',
    });
    expect(results).toEqual([
      expect.objectContaining({ status: 'SKIP', detail: expect.stringMatching(/no SQS there/) }),
    ]);
    expect(sqs.calls()).toHaveLength(0);
  });
});
