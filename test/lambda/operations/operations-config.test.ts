import { loadOperationsConfig } from '../../../lambda/operations/operations-config';
import { HandlerConfigError } from '../../../lambda/runtime/handler-config';
import {
  FAILURES_QUEUE,
  FAILURES_QUEUE_NAME,
  HOLDING_QUEUE,
  INTAKE_DLQ,
  INTAKE_DLQ_NAME,
  INTAKE_QUEUE,
  TABLE,
  TOPIC,
  VERIFIER,
} from './operations-fixtures';

const ROUTE = {
  deadLetterQueueName: INTAKE_DLQ_NAME,
  deadLetterQueueUrl: INTAKE_DLQ,
  sourceQueueUrl: INTAKE_QUEUE,
};

const BASE = {
  STOWAGE_REDRIVE_ROUTES: JSON.stringify([ROUTE]),
  STOWAGE_HOLDING_QUEUE_URL: HOLDING_QUEUE,
  STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: FAILURES_QUEUE,
  STOWAGE_VERIFIER_FUNCTION: VERIFIER,
  STOWAGE_IDEMPOTENCY_TABLE: TABLE,
  STOWAGE_OPERATIONS_TOPIC_ARN: TOPIC,
  STOWAGE_ENV: 'test',
  STOWAGE_BACKUP_SOURCES: JSON.stringify([{ name: 'main-db', format: 'pg-dump' }]),
};

describe('loadOperationsConfig', () => {
  it('reads the variables and applies the defaults (100 messages per run, parked after 3 redrives)', () => {
    // Act
    const config = loadOperationsConfig(BASE);

    // Assert
    expect(config).toEqual({
      routes: [ROUTE],
      holdingQueueUrl: HOLDING_QUEUE,
      verificationFailuresQueue: { name: FAILURES_QUEUE_NAME, url: FAILURES_QUEUE },
      redriveMaxMessages: 100,
      poisonMaxRedrives: 3,
      verifierFunction: VERIFIER,
      idempotencyTable: TABLE,
      operationsTopicArn: TOPIC,
      envName: 'test',
      backupSources: [
        { name: 'main-db', format: 'pg-dump', maxAgeHours: 26, minBytes: 1, maxDropPercent: 50 },
      ],
    });
  });

  it('takes explicit limits and a verifier ARN', () => {
    // Act
    const config = loadOperationsConfig({
      ...BASE,
      STOWAGE_REDRIVE_MAX_MESSAGES: '250',
      STOWAGE_POISON_MAX_REDRIVES: '0',
      STOWAGE_VERIFIER_FUNCTION: 'arn:aws:lambda:eu-west-1:123456789012:function:Stowage-test-Verifier:live',
      STOWAGE_REDRIVE_ROUTES: '[]',
    });

    // Assert
    expect(config).toMatchObject({
      redriveMaxMessages: 250,
      poisonMaxRedrives: 0,
      verifierFunction: 'arn:aws:lambda:eu-west-1:123456789012:function:Stowage-test-Verifier:live',
      routes: [],
    });
  });

  it('names every missing or malformed variable', () => {
    // Act / Assert
    expect(() =>
      loadOperationsConfig({
        STOWAGE_REDRIVE_MAX_MESSAGES: '10001',
        STOWAGE_POISON_MAX_REDRIVES: 'three',
        STOWAGE_VERIFIER_FUNCTION: 'not a function!',
        STOWAGE_OPERATIONS_TOPIC_ARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
      }),
    ).toThrow(
      new HandlerConfigError(
        'invalid environment for the operations handler: ' +
          'STOWAGE_REDRIVE_ROUTES: Invalid input: expected string, received undefined; ' +
          'STOWAGE_HOLDING_QUEUE_URL: a queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name>; ' +
          'STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: a queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name>; ' +
          'STOWAGE_REDRIVE_MAX_MESSAGES: a whole number between 1 and 10000; ' +
          'STOWAGE_POISON_MAX_REDRIVES: a whole number between 0 and 100; ' +
          'STOWAGE_VERIFIER_FUNCTION: a Lambda function name or ARN; ' +
          'STOWAGE_IDEMPOTENCY_TABLE: Invalid input: expected string, received undefined; ' +
          'STOWAGE_OPERATIONS_TOPIC_ARN: an SNS topic ARN; ' +
          'STOWAGE_ENV: Invalid input: expected string, received undefined; ' +
          'STOWAGE_BACKUP_SOURCES: Invalid input: expected string, received undefined',
      ),
    );
  });

  it('explains bad redrive routes field by field', () => {
    // Act / Assert
    expect(() => loadOperationsConfig({ ...BASE, STOWAGE_REDRIVE_ROUTES: '[{' })).toThrow(
      /^invalid environment for the operations handler: STOWAGE_REDRIVE_ROUTES: not valid JSON: /,
    );
    expect(() =>
      loadOperationsConfig({
        ...BASE,
        STOWAGE_REDRIVE_ROUTES: JSON.stringify([
          ROUTE,
          { deadLetterQueueName: 'other-dlq', deadLetterQueueUrl: INTAKE_DLQ, sourceQueueUrl: INTAKE_DLQ },
          { deadLetterQueueName: 'x y', sourceQueueUrl: 'sqs://nowhere' },
        ]),
      }),
    ).toThrow(
      new HandlerConfigError(
        'invalid environment for the operations handler: STOWAGE_REDRIVE_ROUTES: ' +
          "1.deadLetterQueueUrl: must end with the queue name 'other-dlq'; " +
          '1.sourceQueueUrl: must differ from deadLetterQueueUrl; ' +
          '2.deadLetterQueueName: an SQS queue name; ' +
          '2.deadLetterQueueUrl: a queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name>; ' +
          '2.sourceQueueUrl: a queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name>',
      ),
    );
    expect(() =>
      loadOperationsConfig({ ...BASE, STOWAGE_REDRIVE_ROUTES: JSON.stringify([ROUTE, { ...ROUTE }]) }),
    ).toThrow(`STOWAGE_REDRIVE_ROUTES: 1.deadLetterQueueName: duplicate route for '${INTAKE_DLQ_NAME}'`);
    expect(() => loadOperationsConfig({ ...BASE, STOWAGE_REDRIVE_ROUTES: '{}' })).toThrow(
      'STOWAGE_REDRIVE_ROUTES: (root): Invalid input: expected array, received object',
    );
  });

  it('takes the verification failures queue as a route’s source queue, never as a DLQ or the holding queue', () => {
    // Arrange
    const failuresDlq = `${FAILURES_QUEUE}-dlq`;
    const redriveIntoFailures = {
      deadLetterQueueName: `${FAILURES_QUEUE_NAME}-dlq`,
      deadLetterQueueUrl: failuresDlq,
      sourceQueueUrl: FAILURES_QUEUE,
    };

    // Act
    const config = loadOperationsConfig({
      ...BASE,
      STOWAGE_REDRIVE_ROUTES: JSON.stringify([ROUTE, redriveIntoFailures]),
    });

    // Assert
    expect(config.verificationFailuresQueue).toEqual({ name: FAILURES_QUEUE_NAME, url: FAILURES_QUEUE });
    expect(() =>
      loadOperationsConfig({ ...BASE, STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: INTAKE_DLQ }),
    ).toThrow(
      new HandlerConfigError(
        'invalid environment for the operations handler: ' +
          'STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: must not be a dead-letter queue of the routes (route 0 is it)',
      ),
    );
    expect(() =>
      loadOperationsConfig({ ...BASE, STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: HOLDING_QUEUE }),
    ).toThrow('STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: must differ from the holding queue');
    expect(() =>
      loadOperationsConfig({
        ...BASE,
        STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/',
      }),
    ).toThrow('STOWAGE_VERIFICATION_FAILURES_QUEUE_URL: a queue URL that ends with the queue name');
  });

  it('refuses a holding queue that is one of the routes’ queues, and bad backup sources, in one message', () => {
    // Act / Assert
    expect(() =>
      loadOperationsConfig({
        ...BASE,
        STOWAGE_HOLDING_QUEUE_URL: INTAKE_QUEUE,
        STOWAGE_BACKUP_SOURCES: JSON.stringify([{ name: 'Main DB', format: 'zip' }]),
      }),
    ).toThrow(
      new HandlerConfigError(
        'invalid environment for the operations handler: ' +
          "STOWAGE_HOLDING_QUEUE_URL: must differ from every route's queues (route 0 uses it); " +
          'STOWAGE_BACKUP_SOURCES: invalid backup sources: 0.name: lower-case letters, digits and dashes (1-63); ' +
          '0.format: Invalid option: expected one of "pg-dump"|"gzip"|"tar-gz"|"raw"',
      ),
    );
  });
});
