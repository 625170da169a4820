import { queueArnOfUrl } from './queue-arn';
import type { CallContext, RequiredPermission, SdkCall } from './sdk-call';
import { field, keyArnOf, optionalField, UnmappedCallError } from './sdk-call';
import { s3Permissions } from './s3-permissions';

/**
 * The IAM authorizations AWS performs for one SDK call, in the order it performs them. Throws UnmappedCallError
 * for a command the contract does not know, so a new call cannot ship unchecked.
 */
export function permissionsFor(call: SdkCall, context: CallContext): RequiredPermission[] {
  switch (call.service) {
    case 's3':
      return s3Permissions(call, context);
    case 'kms':
      return kmsPermissions(call, context);
    case 'sqs':
      return sqsPermissions(call, context);
    case 'sns':
      return snsPermissions(call, context);
    case 'dynamodb':
      return dynamoDbPermissions(call, context);
    case 'events':
      return eventsPermissions(call, context);
    case 'cloudwatch':
      return cloudWatchPermissions(call, context);
    case 'lambda':
      return lambdaPermissions(call, context);
    case 'sts':
      // GetCallerIdentity needs no permission; nothing else is called.
      if (call.command === 'GetCallerIdentityCommand') return [];
      throw new UnmappedCallError(call);
  }
}

const KMS_ACTIONS: Record<string, string> = {
  GenerateDataKeyCommand: 'kms:GenerateDataKey',
  GenerateDataKeyWithoutPlaintextCommand: 'kms:GenerateDataKeyWithoutPlaintext',
  DecryptCommand: 'kms:Decrypt',
  EncryptCommand: 'kms:Encrypt',
  DescribeKeyCommand: 'kms:DescribeKey',
};

/** Direct KMS calls (client-side envelope encryption, key checks): the key, its encryption context. */
function kmsPermissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  const action = KMS_ACTIONS[call.command];
  if (!action) throw new UnmappedCallError(call);
  const keyId = optionalField(call, 'KeyId');
  const keyArn =
    keyId !== undefined
      ? keyArnOf(context.model, keyId)
      : call.command === 'DecryptCommand' && context.ciphertextKeyArn !== undefined
        ? context.ciphertextKeyArn
        : undefined;
  if (keyArn === undefined)
    throw new UnmappedCallError(call, 'no KeyId and no ciphertext key given to the contract');
  const requestContext: Record<string, string | string[]> = { 'kms:CallerAccount': context.model.account };
  const encryptionContext = (call.input.EncryptionContext ?? {}) as Record<string, string>;
  for (const [key, value] of Object.entries(encryptionContext)) {
    requestContext[`kms:EncryptionContext:${key}`] = value;
  }
  if (Object.keys(encryptionContext).length > 0) {
    requestContext['kms:EncryptionContextKeys'] = Object.keys(encryptionContext);
  }
  if (keyId?.startsWith('alias/')) requestContext['kms:RequestAlias'] = keyId;
  return [
    {
      action,
      resource: keyArn,
      context: requestContext,
      because: `KMS ${call.command.replace(/Command$/, '')}`,
    },
  ];
}

/** The KMS key a service uses for an encrypted queue, topic or table, with the caller's credentials. */
function kmsThroughService(
  context: CallContext,
  resourceArn: string,
  service: string,
  actions: readonly string[],
  encryptionContext: Record<string, string>,
  because: string,
): RequiredPermission[] {
  const keyId = context.model.resourceKeys.get(resourceArn);
  if (keyId === undefined) return [];
  const keyArn = keyArnOf(context.model, keyId);
  return actions.map((action) => ({
    action,
    resource: keyArn,
    context: {
      'kms:ViaService': `${service}.${resourceArn.split(':')[3]}.amazonaws.com`,
      'kms:CallerAccount': context.model.account,
      ...Object.fromEntries(
        Object.entries(encryptionContext).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]),
      ),
    },
    because: `${because} (${service} encryption)`,
  }));
}

const SQS_ACTIONS: Record<string, { action: string; kms: readonly string[] }> = {
  // Producers need GenerateDataKey and Decrypt (the data key is reused), consumers Decrypt (SQS developer guide).
  SendMessageCommand: { action: 'sqs:SendMessage', kms: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  SendMessageBatchCommand: { action: 'sqs:SendMessage', kms: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  ReceiveMessageCommand: { action: 'sqs:ReceiveMessage', kms: ['kms:Decrypt'] },
  DeleteMessageCommand: { action: 'sqs:DeleteMessage', kms: [] },
  DeleteMessageBatchCommand: { action: 'sqs:DeleteMessage', kms: [] },
  ChangeMessageVisibilityCommand: { action: 'sqs:ChangeMessageVisibility', kms: [] },
  ChangeMessageVisibilityBatchCommand: { action: 'sqs:ChangeMessageVisibility', kms: [] },
  GetQueueAttributesCommand: { action: 'sqs:GetQueueAttributes', kms: [] },
  PurgeQueueCommand: { action: 'sqs:PurgeQueue', kms: [] },
};

function sqsPermissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  if (call.command === 'ListQueuesCommand') {
    return [{ action: 'sqs:ListQueues', resource: '*', context: {}, because: 'SQS ListQueues' }];
  }
  if (call.command === 'GetQueueUrlCommand') {
    const account = optionalField(call, 'QueueOwnerAWSAccountId') ?? context.model.account;
    const arn = `arn:aws:sqs:${context.model.region}:${account}:${field(call, 'QueueName')}`;
    return [{ action: 'sqs:GetQueueUrl', resource: arn, context: {}, because: `SQS GetQueueUrl ${arn}` }];
  }
  const mapped = SQS_ACTIONS[call.command];
  if (!mapped) throw new UnmappedCallError(call);
  const queueArn = queueArnOfUrl(field(call, 'QueueUrl'));
  const because = `SQS ${call.command.replace(/Command$/, '')} ${queueArn}`;
  return [
    { action: mapped.action, resource: queueArn, context: {}, because },
    ...kmsThroughService(context, queueArn, 'sqs', mapped.kms, { 'aws:sqs:arn': queueArn }, because),
  ];
}

function snsPermissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  if (call.command !== 'PublishCommand' && call.command !== 'PublishBatchCommand') {
    throw new UnmappedCallError(call);
  }
  const topicArn = field(call, 'TopicArn');
  const because = `SNS Publish ${topicArn}`;
  return [
    { action: 'sns:Publish', resource: topicArn, context: {}, because },
    // Publishers to an encrypted topic need GenerateDataKey and Decrypt (SNS developer guide).
    ...kmsThroughService(context, topicArn, 'sns', ['kms:GenerateDataKey', 'kms:Decrypt'], {}, because),
  ];
}

const DYNAMODB_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
};

function dynamoDbPermissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  const action = DYNAMODB_ACTIONS[call.command];
  if (!action) throw new UnmappedCallError(call);
  const tableName = field(call, 'TableName');
  const tableArn = tableName.startsWith('arn:')
    ? tableName
    : `arn:aws:dynamodb:${context.model.region}:${context.model.account}:table/${tableName}`;
  // A Query or Scan of an index is authorized on the index's ARN (`table/<name>/index/<index>`).
  const indexName = optionalField(call, 'IndexName');
  const resource = indexName ? `${tableArn}/index/${indexName}` : tableArn;
  const because = `DynamoDB ${call.command.replace(/Command$/, '')} ${resource}`;
  return [
    { action, resource, context: {}, because },
    // A customer-managed table key is used through DynamoDB with the caller's credentials.
    ...kmsThroughService(
      context,
      tableArn,
      'dynamodb',
      ['kms:Decrypt'],
      {
        'aws:dynamodb:tableName': tableArn.split('/')[1],
        'aws:dynamodb:subscriberId': context.model.account,
      },
      because,
    ),
  ];
}

function eventsPermissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  if (call.command !== 'PutEventsCommand') throw new UnmappedCallError(call);
  const entries = (call.input.Entries ?? []) as {
    EventBusName?: string;
    Source?: string;
    DetailType?: string;
  }[];
  return entries.map((entry) => {
    const bus = entry.EventBusName ?? 'default';
    const busArn = bus.startsWith('arn:')
      ? bus
      : `arn:aws:events:${context.model.region}:${context.model.account}:event-bus/${bus}`;
    const requestContext: Record<string, string> = {};
    if (entry.Source) requestContext['events:source'] = entry.Source;
    if (entry.DetailType) requestContext['events:detail-type'] = entry.DetailType;
    return {
      action: 'events:PutEvents',
      resource: busArn,
      context: requestContext,
      because: `EventBridge PutEvents ${busArn}`,
    };
  });
}

function cloudWatchPermissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  const { region, account } = context.model;
  switch (call.command) {
    case 'SetAlarmStateCommand': {
      const arn = `arn:aws:cloudwatch:${region}:${account}:alarm:${field(call, 'AlarmName')}`;
      return [
        {
          action: 'cloudwatch:SetAlarmState',
          resource: arn,
          context: {},
          because: `CloudWatch SetAlarmState ${arn}`,
        },
      ];
    }
    case 'PutMetricDataCommand':
      return [
        {
          action: 'cloudwatch:PutMetricData',
          resource: '*',
          context: { 'cloudwatch:namespace': field(call, 'Namespace') },
          because: 'CloudWatch PutMetricData',
        },
      ];
    case 'DescribeAlarmsCommand':
      return [
        {
          action: 'cloudwatch:DescribeAlarms',
          resource: '*',
          context: {},
          because: 'CloudWatch DescribeAlarms',
        },
      ];
    default:
      throw new UnmappedCallError(call);
  }
}

function lambdaPermissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  if (call.command !== 'InvokeCommand') throw new UnmappedCallError(call);
  const name = field(call, 'FunctionName');
  const qualifier = optionalField(call, 'Qualifier');
  const base = name.startsWith('arn:')
    ? name
    : `arn:aws:lambda:${context.model.region}:${context.model.account}:function:${name}`;
  const arn = qualifier !== undefined ? `${base}:${qualifier}` : base;
  return [{ action: 'lambda:InvokeFunction', resource: arn, context: {}, because: `Lambda Invoke ${arn}` }];
}
