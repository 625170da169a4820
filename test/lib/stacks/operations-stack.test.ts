import { readFileSync } from 'fs';
import { join } from 'path';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import type { DeepPartial, EnvName, StowageConfig } from '../../../lib/config';
import { METRIC_SERVICES } from '../../../core/contracts/metrics';
import { REPLICATION_RULE_ID } from '../../../lib/monitoring/operations-metrics';
import type { StowageStacks } from '../../../lib/stowage-app';
import { ALL_ENVS, buildEnv } from '../../support/app';

// Templates are untyped JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ROOT = join(__dirname, '..', '..', '..');

interface Built {
  readonly stacks: StowageStacks;
  readonly config: StowageConfig;
  readonly resources: Record<string, { Type: string; Properties: Json; DeletionPolicy?: string }>;
}

const built = new Map<string, Built>();
function opsOf(env: EnvName, overrides: DeepPartial<StowageConfig> = {}): Built {
  const cacheKey = `${env}/${JSON.stringify(overrides)}`;
  let entry = built.get(cacheKey);
  if (!entry) {
    const { stacks, config } = buildEnv(env, { overrides });
    entry = { stacks, config, resources: Template.fromStack(stacks.operations).toJSON().Resources };
    built.set(cacheKey, entry);
  }
  return entry;
}

function ofType(b: Built, type: string): Array<[string, Json]> {
  return Object.entries(b.resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties]);
}

function onlyOfType(b: Built, type: string): [string, Json] {
  const all = ofType(b, type);
  expect(all).toHaveLength(1);
  return all[0]!;
}

/** A value another stack of the env publishes, as this stack's template references it. */
const fromStack = (env: EnvName, part: string, output: RegExp) => ({
  'Fn::GetStackOutput': {
    StackName: `Stowage-${env}-${part}`,
    Region: REGION,
    OutputName: expect.stringMatching(output),
  },
});
const getAtt = (idPrefix: string, attribute: string) => ({
  'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${idPrefix}[0-9A-F]{8}$`)), attribute],
});
const ref = (idPrefix: string) => ({ Ref: expect.stringMatching(new RegExp(`^${idPrefix}[0-9A-F]{8}$`)) });

/** Renders a Fn::Join of strings and tokens as one string, each token as `<OutputName or logical id>`. */
function joined(value: Json): string {
  if (typeof value === 'string') return value;
  const [, parts] = value['Fn::Join'] as [string, Json[]];
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part['Fn::GetStackOutput']) return `<${part['Fn::GetStackOutput'].OutputName}>`;
      if (part['Fn::GetAtt']) return `<${part['Fn::GetAtt'].join('.')}>`;
      if (part.Ref) return `<${part.Ref}>`;
      throw new Error(`unexpected token ${JSON.stringify(part)}`);
    })
    .join('');
}

/** What one alarm must look like, stated from the config (not from the implementation). */
interface ExpectedAlarm {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, unknown>;
  readonly statistic: string;
  readonly period: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
  readonly missing: 'breaching' | 'notBreaching';
  readonly critical: boolean;
}

function expectedAlarms(env: EnvName, config: StowageConfig): ExpectedAlarm[] {
  const a = config.alarms;
  const name = (what: string) => `Stowage-${env}-${what}`;
  const handlers: Array<[string, unknown, number, boolean]> = [
    [
      'ApiHandler',
      fromStack(env, 'Intake', /^PublishOutputRefApiHandlerFunction/),
      config.intake.handlers.api.timeoutSeconds,
      false,
    ],
    [
      'ScanHandler',
      fromStack(env, 'Intake', /^PublishOutputRefScanHandlerFunction/),
      config.intake.handlers.scan.timeoutSeconds,
      true,
    ],
    [
      'QuarantineHandler',
      fromStack(env, 'Intake', /^PublishOutputRefQuarantineHandlerFunction/),
      config.intake.handlers.quarantine.timeoutSeconds,
      true,
    ],
    [
      'ProcessHandler',
      fromStack(env, 'Intake', /^PublishOutputRefProcessHandlerFunction/),
      config.intake.handlers.process.timeoutSeconds,
      true,
    ],
    [
      'BackupVerifier',
      fromStack(env, 'Backups', /^PublishOutputRefVerifierFunction/),
      config.backups.verifier.timeoutSeconds,
      false,
    ],
    [
      'OperationsHandler',
      ref('OperationsOperationsHandlerFunction'),
      config.operations.handler.timeoutSeconds,
      false,
    ],
  ];
  const lambda = (
    what: string,
    fn: unknown,
    metricName: string,
    statistic: string,
    threshold: number,
    critical: boolean,
  ) => ({
    name: name(what),
    namespace: 'AWS/Lambda',
    metricName,
    dimensions: { FunctionName: fn },
    statistic,
    period: a.handlers.periodSeconds,
    threshold,
    comparison: 'GreaterThanOrEqualToThreshold',
    evaluationPeriods: a.handlers.evaluationPeriods,
    missing: 'notBreaching' as const,
    critical,
  });
  const queueDepth = (what: string, queueName: unknown): ExpectedAlarm => ({
    name: name(`${what}-NotEmpty`),
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: queueName },
    statistic: 'Maximum',
    period: a.queues.periodSeconds,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    evaluationPeriods: a.queues.evaluationPeriods,
    missing: 'notBreaching',
    critical: true,
  });
  const stowage = (service: string, extra: Record<string, string> = {}) => ({ env, service, ...extra });
  const alarms: ExpectedAlarm[] = [
    ...handlers.flatMap(([what, fn, timeout, critical]) => [
      lambda(`${what}-Errors`, fn, 'Errors', 'Sum', 1, critical),
      lambda(`${what}-Throttles`, fn, 'Throttles', 'Sum', 1, false),
      lambda(
        `${what}-Duration`,
        fn,
        'Duration',
        'p99',
        (timeout * 1000 * a.handlers.durationPercentOfTimeout) / 100,
        false,
      ),
    ]),
    queueDepth('IntakeDLQ', fromStack(env, 'Intake', /IntakeQueueDeadLetterQueue[0-9A-F]{8}QueueName/)),
    queueDepth(
      'QuarantineDLQ',
      fromStack(env, 'Intake', /QuarantineQueueDeadLetterQueue[0-9A-F]{8}QueueName/),
    ),
    queueDepth('ProcessDLQ', fromStack(env, 'Intake', /ProcessQueueDeadLetterQueue[0-9A-F]{8}QueueName/)),
    queueDepth(
      'BackupFailuresDLQ',
      fromStack(env, 'Backups', /VerificationFailuresDeadLetterQueue[0-9A-F]{8}QueueName/),
    ),
    queueDepth('BackupFailures', fromStack(env, 'Backups', /VerificationFailuresQueue[0-9A-F]{8}QueueName/)),
    queueDepth('OperationsFailures', getAtt('OperationsFailureQueue', 'QueueName')),
    queueDepth('HoldingQueue', getAtt('OperationsHoldingQueue', 'QueueName')),
    {
      name: name('IntakeQueue-Backlog'),
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: fromStack(env, 'Intake', /IntakeQueue[0-9A-F]{8}QueueName/) },
      statistic: 'Maximum',
      period: a.intakeQueueAge.periodSeconds,
      threshold: a.intakeQueueAge.thresholdSeconds,
      comparison: 'GreaterThanThreshold',
      evaluationPeriods: a.intakeQueueAge.evaluationPeriods,
      missing: 'notBreaching',
      critical: false,
    },
    {
      name: name('Scan-ErrorVerdicts'),
      namespace: 'Stowage',
      metricName: 'ScanERROR',
      dimensions: stowage('scan'),
      statistic: 'Sum',
      period: a.scanErrors.periodSeconds,
      threshold: a.scanErrors.threshold,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: a.scanErrors.evaluationPeriods,
      missing: 'notBreaching',
      critical: false,
    },
    {
      name: name('Quarantined-PerHour'),
      namespace: 'Stowage',
      metricName: 'Quarantined',
      dimensions: stowage('quarantine'),
      statistic: 'Sum',
      period: 3600,
      threshold: a.quarantinedPerHour.threshold,
      comparison: 'GreaterThanThreshold',
      evaluationPeriods: a.quarantinedPerHour.evaluationPeriods,
      missing: 'notBreaching',
      critical: false,
    },
    ...config.backups.sources.flatMap((source): ExpectedAlarm[] => [
      {
        name: name(`Backup-${source.name}-NotVerified`),
        namespace: 'Stowage',
        metricName: 'BackupVerified',
        dimensions: stowage('backup-verify', { source: source.name }),
        statistic: 'Minimum',
        period: 3600,
        threshold: 1,
        comparison: 'LessThanThreshold',
        evaluationPeriods: a.backups.windowHours,
        missing: 'breaching',
        critical: true,
      },
      {
        name: name(`Backup-${source.name}-Stale`),
        namespace: 'Stowage',
        metricName: 'BackupAgeHours',
        dimensions: stowage('backup-verify', { source: source.name }),
        statistic: 'Maximum',
        period: 3600,
        threshold: source.maxAgeHours,
        comparison: 'GreaterThanThreshold',
        evaluationPeriods: a.backups.windowHours,
        missing: 'breaching',
        critical: true,
      },
    ]),
  ];
  if (config.replication.enabled && config.replication.metrics) {
    for (const [what, bucket] of [
      ['Processed', 'processed'],
      ['Backups', 'backups'],
    ] as const) {
      const dimensions = {
        SourceBucket: fromStack(env, 'Storage', new RegExp(`^PublishOutputRef${what}Bucket`)),
        DestinationBucket: `stowage-${env}-${ACCOUNT}-${config.replication.replicaRegion}-${bucket}-replica`,
        RuleId: 'replicate-all',
      };
      const common = {
        namespace: 'AWS/S3',
        dimensions,
        period: a.replication.periodSeconds,
        evaluationPeriods: a.replication.evaluationPeriods,
        missing: 'notBreaching' as const,
      };
      alarms.push(
        {
          ...common,
          name: name(`Replication-${what}-Failed`),
          metricName: 'OperationsFailedReplication',
          statistic: 'Sum',
          threshold: 1,
          comparison: 'GreaterThanOrEqualToThreshold',
          critical: true,
        },
        {
          ...common,
          name: name(`Replication-${what}-Latency`),
          metricName: 'ReplicationLatency',
          statistic: 'Maximum',
          threshold: a.replication.latencySeconds,
          comparison: 'GreaterThanThreshold',
          critical: false,
        },
      );
    }
  }
  return alarms;
}

/** The metric alarms of the stack by name. */
function alarmsByName(b: Built): Map<string, { id: string; props: Json }> {
  return new Map(
    ofType(b, 'AWS::CloudWatch::Alarm').map(([id, props]) => [props.AlarmName as string, { id, props }]),
  );
}

function topicId(b: Built): string {
  return onlyOfType(b, 'AWS::SNS::Topic')[0];
}

/** Every alarm in `b` matches the catalogue computed from its config, field by field. */
function expectEveryAlarmAsConfigured(env: EnvName, b: Built): void {
  const expected = expectedAlarms(env, b.config);
  const actual = alarmsByName(b);
  expect([...actual.keys()].sort()).toEqual([...expected.map((e) => e.name), apiAlarmName(env)].sort());
  expectApiAlarm(env, b);
  const topic = { Ref: topicId(b) };
  for (const e of expected) {
    const alarm = actual.get(e.name)!.props;
    const statistic = /^p\d+$/.test(e.statistic)
      ? { ExtendedStatistic: e.statistic }
      : { Statistic: e.statistic };
    expect({ name: e.name, ...alarm }).toEqual({
      name: e.name,
      AlarmName: e.name,
      AlarmDescription: expect.stringMatching(/.{40,}/),
      Namespace: e.namespace,
      MetricName: e.metricName,
      Dimensions: Object.entries(e.dimensions)
        .map(([Name, Value]) => ({ Name, Value }))
        .sort((x, y) => x.Name.localeCompare(y.Name)),
      ...statistic,
      Period: e.period,
      Threshold: e.threshold,
      ComparisonOperator: e.comparison,
      EvaluationPeriods: e.evaluationPeriods,
      DatapointsToAlarm: e.evaluationPeriods,
      TreatMissingData: e.missing,
      ActionsEnabled: b.config.alarms.actionsEnabled,
      AlarmActions: [topic],
      OKActions: [topic],
      Tags: expect.arrayContaining([{ Key: 'stowage:env', Value: env }]),
    });
  }
}

/** `Stowage-<env>-Api-5xxRate`: the one metric-math alarm, critical. */
const apiAlarmName = (env: EnvName) => `Stowage-${env}-Api-5xxRate`;

/** The API 5xx rate alarm: 100 × 5xx / Count of the `$default` stage (0 without requests), from config. */
function expectApiAlarm(env: EnvName, b: Built): void {
  const { api5xx, actionsEnabled } = b.config.alarms;
  const alarm = alarmsByName(b).get(apiAlarmName(env))!.props;
  const apiDimensions = [
    { Name: 'ApiId', Value: fromStack(env, 'Intake', /^PublishOutputRefHttpApi/) },
    { Name: 'Stage', Value: '$default' },
  ];
  const stat = (metricName: string) => ({
    Metric: { Namespace: 'AWS/ApiGateway', MetricName: metricName, Dimensions: apiDimensions },
    Period: api5xx.periodSeconds,
    Stat: 'Sum',
  });
  const topic = { Ref: topicId(b) };
  expect(alarm).toEqual({
    AlarmName: apiAlarmName(env),
    AlarmDescription: expect.stringContaining('5xx'),
    Metrics: [
      {
        Id: expect.any(String),
        Expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        Label: '5xx rate (%)',
        ReturnData: true,
      },
      { Id: 'errors', Label: '5xx', MetricStat: stat('5xx'), ReturnData: false },
      { Id: 'requests', Label: 'Count', MetricStat: stat('Count'), ReturnData: false },
    ],
    Threshold: api5xx.ratePercent,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: api5xx.evaluationPeriods,
    DatapointsToAlarm: api5xx.evaluationPeriods,
    TreatMissingData: 'notBreaching',
    ActionsEnabled: actionsEnabled,
    AlarmActions: [topic],
    OKActions: [topic],
    Tags: expect.any(Array),
  });
}

describe.each(ALL_ENVS)('Operations stack (%s)', (env) => {
  const b = () => opsOf(env);

  it('is Stowage-<env>-Operations and deploys after Intake and Backups', () => {
    const { stacks } = b();
    expect(stacks.operations.stackName).toBe(`Stowage-${env}-Operations`);
    expect(stacks.operations.dependencies).toEqual(expect.arrayContaining([stacks.intake, stacks.backups]));
    expect(stacks.intake.dependencies).not.toContain(stacks.operations);
    expect(stacks.backups.dependencies).not.toContain(stacks.operations);
  });

  describe('topic', () => {
    it('is stowage-<env>-operations, encrypted with the messaging key', () => {
      const [, topic] = onlyOfType(b(), 'AWS::SNS::Topic');
      expect(topic).toMatchObject({
        TopicName: `stowage-${env}-operations`,
        KmsMasterKeyId: fromStack(env, 'Keys', /MessagingKey.*Arn/),
      });
    });

    it('is TLS-only and lets only this env’s CloudWatch alarms publish besides IAM principals', () => {
      const [, policy] = onlyOfType(b(), 'AWS::SNS::TopicPolicy');
      const topic = { Ref: topicId(b()) };
      expect(policy.Topics).toEqual([topic]);
      expect(policy.PolicyDocument.Statement).toEqual([
        {
          Sid: 'AllowPublishThroughSSLOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: topic,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'CloudWatchAlarmsPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topic,
          Condition: {
            StringEquals: { 'aws:SourceAccount': ACCOUNT },
            ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:Stowage-${env}-*` },
          },
        },
      ]);
    });

    it('has no subscriptions unless the config lists some', () => {
      expect(ofType(b(), 'AWS::SNS::Subscription')).toEqual([]);
    });

    it('subscribes the configured email addresses and HTTPS endpoints', () => {
      // Arrange
      const overrides = {
        alarms: {
          emailSubscriptions: ['ops@example.com', 'oncall@example.com'],
          httpsSubscriptions: ['https://hooks.example.com/stowage'],
        },
      };
      // Act
      const withSubscribers = opsOf(env, overrides);
      // Assert
      const subscriptions = ofType(withSubscribers, 'AWS::SNS::Subscription').map(([, p]) => p);
      const topic = { Ref: topicId(withSubscribers) };
      expect(subscriptions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topic }),
          expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: topic }),
          expect.objectContaining({
            Protocol: 'https',
            Endpoint: 'https://hooks.example.com/stowage',
            TopicArn: topic,
          }),
        ]),
      );
      expect(subscriptions).toHaveLength(3);
    });
  });

  describe('alarms', () => {
    it('has every alarm of the catalogue, each with its metric, statistic, threshold, window, missing-data treatment and actions', () => {
      expectEveryAlarmAsConfigured(env, b());
    });

    it('takes every threshold, window and the actions switch from config', () => {
      // Arrange
      const overrides: DeepPartial<StowageConfig> = {
        alarms: {
          actionsEnabled: env === 'dev',
          handlers: { periodSeconds: 120, evaluationPeriods: 2, durationPercentOfTimeout: 50 },
          queues: { periodSeconds: 300, evaluationPeriods: 3 },
          intakeQueueAge: { periodSeconds: 600, evaluationPeriods: 2, thresholdSeconds: 1800 },
          scanErrors: { periodSeconds: 900, evaluationPeriods: 2, threshold: 3 },
          quarantinedPerHour: { threshold: 25, evaluationPeriods: 2 },
          backups: { windowHours: 49 },
          api5xx: { periodSeconds: 60, evaluationPeriods: 5, ratePercent: 2.5 },
          replication: { periodSeconds: 600, evaluationPeriods: 2, latencySeconds: 1800 },
        },
        backups: {
          sources: [
            { name: 'orders-db', format: 'pg-dump', minBytes: 10, maxAgeHours: 30, maxDropPercent: 40 },
          ],
        },
      };
      // Act
      const tuned = opsOf(env, overrides);
      // Assert
      expectEveryAlarmAsConfigured(env, tuned);
      const names = [...alarmsByName(tuned).keys()];
      expect(names).toContain(`Stowage-${env}-Backup-orders-db-Stale`);
      expect(names.filter((n) => n.includes('main-db'))).toEqual([]);
      expect(alarmsByName(tuned).get(apiAlarmName(env))!.props).toMatchObject({
        Threshold: 2.5,
        EvaluationPeriods: 5,
        ActionsEnabled: env === 'dev',
      });
    });

    it(
      env === 'prod'
        ? 'watches replication of processed and backups'
        : 'has no replication alarms (replication off)',
      () => {
        const names = [...alarmsByName(b()).keys()].filter((n) => n.includes('Replication'));
        expect(names.sort()).toEqual(
          env === 'prod'
            ? [
                `Stowage-${env}-Replication-Backups-Failed`,
                `Stowage-${env}-Replication-Backups-Latency`,
                `Stowage-${env}-Replication-Processed-Failed`,
                `Stowage-${env}-Replication-Processed-Latency`,
              ]
            : [],
        );
      },
    );

    it('sets actions on or off as the env config says (staging and prod page, dev does not)', () => {
      const enabled = env !== 'dev';
      expect(b().config.alarms.actionsEnabled).toBe(enabled);
      for (const [, alarm] of [
        ...ofType(b(), 'AWS::CloudWatch::Alarm'),
        ...ofType(b(), 'AWS::CloudWatch::CompositeAlarm'),
      ]) {
        expect(alarm.ActionsEnabled).toBe(enabled);
      }
    });

    it('names every alarm Stowage-<env>-…, inside the prefix the operations handler is triggered for', () => {
      const [, rule] = onlyOfType(b(), 'AWS::Events::Rule');
      const [{ prefix }] = rule.EventPattern.resources;
      const names = [
        ...ofType(b(), 'AWS::CloudWatch::Alarm'),
        ...ofType(b(), 'AWS::CloudWatch::CompositeAlarm'),
      ].map(([, p]) => p.AlarmName as string);
      for (const name of names) {
        expect(`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`.startsWith(prefix)).toBe(true);
        expect(name).toMatch(new RegExp(`^Stowage-${env}-[A-Za-z0-9-]+$`));
      }
    });
  });

  describe('health alarm', () => {
    it('is Stowage-<env>-health: ALARM while any critical alarm is, notifying the topic', () => {
      // Arrange
      const [, health] = onlyOfType(b(), 'AWS::CloudWatch::CompositeAlarm');
      const byId = new Map([...alarmsByName(b())].map(([name, { id }]) => [id, name]));
      const critical = [
        ...expectedAlarms(env, b().config)
          .filter((e) => e.critical)
          .map((e) => e.name),
        apiAlarmName(env),
      ];
      // Act
      const rule = joined(health.AlarmRule);
      const ids = [...rule.matchAll(/<([A-Za-z0-9]+)\.Arn>/g)].map((m) => m[1]!);
      // Assert
      expect(health.AlarmName).toBe(`Stowage-${env}-health`);
      expect(rule).toBe(`(${ids.map((id) => `ALARM("<${id}.Arn>")`).join(' OR ')})`);
      const watched = ids.map((id) => byId.get(id));
      expect(watched.sort()).toEqual(critical.sort());
      expect(critical).toEqual(
        expect.arrayContaining([
          `Stowage-${env}-IntakeDLQ-NotEmpty`,
          `Stowage-${env}-HoldingQueue-NotEmpty`,
          `Stowage-${env}-ScanHandler-Errors`,
          `Stowage-${env}-Backup-main-db-NotVerified`,
          `Stowage-${env}-Backup-main-db-Stale`,
          `Stowage-${env}-Api-5xxRate`,
        ]),
      );
      expect(health).toMatchObject({
        ActionsEnabled: b().config.alarms.actionsEnabled,
        AlarmActions: [{ Ref: topicId(b()) }],
        OKActions: [{ Ref: topicId(b()) }],
      });
    });
  });

  describe('operations handler', () => {
    const fn = () => onlyOfType(b(), 'AWS::Lambda::Function')[1];

    it('runs lambda/operations with the configured size, timeout and concurrency', () => {
      const { operations } = b().config;
      expect(fn()).toMatchObject({
        MemorySize: operations.handler.memoryMb,
        Timeout: operations.handler.timeoutSeconds,
        ReservedConcurrentExecutions: operations.handler.reservedConcurrency,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(operations.handler).toEqual({ memoryMb: 256, timeoutSeconds: 900, reservedConcurrency: 2 });
    });

    it('gets every contract variable: redrive routes, holding queue, failures queue, limits, verifier, table, topic, env, sources', () => {
      const vars = fn().Environment.Variables;
      expect(Object.keys(vars).sort()).toEqual(
        [
          HANDLER_ENV.REDRIVE_ROUTES,
          HANDLER_ENV.HOLDING_QUEUE_URL,
          HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL,
          HANDLER_ENV.REDRIVE_MAX_MESSAGES,
          HANDLER_ENV.POISON_MAX_REDRIVES,
          HANDLER_ENV.VERIFIER_FUNCTION,
          HANDLER_ENV.IDEMPOTENCY_TABLE,
          HANDLER_ENV.OPERATIONS_TOPIC_ARN,
          HANDLER_ENV.ENV_NAME,
          HANDLER_ENV.BACKUP_SOURCES,
          'NODE_OPTIONS',
          'POWERTOOLS_SERVICE_NAME',
          'POWERTOOLS_LOG_LEVEL',
          'POWERTOOLS_METRICS_NAMESPACE',
        ].sort(),
      );
      expect(vars).toMatchObject({
        [HANDLER_ENV.HOLDING_QUEUE_URL]: ref('OperationsHoldingQueue'),
        [HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL]: fromStack(
          env,
          'Backups',
          /^PublishOutputRefVerificationFailuresQueue[0-9A-F]{16}$/,
        ),
        [HANDLER_ENV.REDRIVE_MAX_MESSAGES]: '100',
        [HANDLER_ENV.POISON_MAX_REDRIVES]: '3',
        [HANDLER_ENV.VERIFIER_FUNCTION]: fromStack(env, 'Backups', /VerifierFunction[0-9A-F]{8}Arn/),
        [HANDLER_ENV.IDEMPOTENCY_TABLE]: ref('OperationsIdempotencyTable'),
        [HANDLER_ENV.OPERATIONS_TOPIC_ARN]: { Ref: topicId(b()) },
        [HANDLER_ENV.ENV_NAME]: env,
      });
    });

    it('redrives exactly the four DLQs into their own source queues', () => {
      // Arrange
      const route = (deadLetterQueue: string, sourceQueue: string) => ({
        deadLetterQueueName: expect.stringMatching(
          new RegExp(`^<PublishOutputFnGetAtt${deadLetterQueue}[0-9A-F]{8}QueueName[0-9A-F]{8}>$`),
        ),
        deadLetterQueueUrl: expect.stringMatching(
          new RegExp(`^<PublishOutputRef${deadLetterQueue}[0-9A-F]{16}>$`),
        ),
        sourceQueueUrl: expect.stringMatching(new RegExp(`^<PublishOutputRef${sourceQueue}[0-9A-F]{16}>$`)),
      });
      // Act
      const routes = JSON.parse(joined(fn().Environment.Variables[HANDLER_ENV.REDRIVE_ROUTES]));
      // Assert
      expect(routes).toEqual([
        route('IntakeQueueDeadLetterQueue', 'IntakeQueue'),
        route('QuarantineQueueDeadLetterQueue', 'QuarantineQueue'),
        route('ProcessQueueDeadLetterQueue', 'ProcessQueue'),
        route('VerificationFailuresDeadLetterQueue', 'VerificationFailuresQueue'),
      ]);
    });

    it('settles exactly the queue the BackupFailures-NotEmpty alarm watches (the handler derives its name from the URL)', () => {
      // Arrange
      const queueOf = (outputName: string) => /VerificationFailuresQueue[0-9A-F]{8}/.exec(outputName)?.[0];
      const alarm = alarmsByName(b()).get(`Stowage-${env}-BackupFailures-NotEmpty`)!.props;
      // Act
      const url = fn().Environment.Variables[HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL];
      const watched = alarm.Dimensions.find((d: Json) => d.Name === 'QueueName').Value;
      // Assert
      expect(queueOf(url['Fn::GetStackOutput'].OutputName)).toBeDefined();
      expect(queueOf(url['Fn::GetStackOutput'].OutputName)).toBe(
        queueOf(watched['Fn::GetStackOutput'].OutputName),
      );
      expect(alarm.AlarmDescription).toContain('The operations handler runs a full verification');
    });

    it('knows the backup sources exactly as the verifier does', () => {
      // Arrange
      const backups = Template.fromStack(b().stacks.backups).toJSON().Resources as Record<string, Json>;
      const verifier = Object.values(backups).find(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          r.Properties.Environment?.Variables?.[HANDLER_ENV.BACKUP_SOURCES],
      );
      // Act
      const sources = fn().Environment.Variables[HANDLER_ENV.BACKUP_SOURCES];
      // Assert
      expect(sources).toBe(verifier.Properties.Environment.Variables[HANDLER_ENV.BACKUP_SOURCES]);
      expect(JSON.parse(sources)).toEqual(b().config.backups.sources);
    });

    it('is invoked asynchronously: two Lambda retries, then its encrypted failure queue', () => {
      const [, invokeConfig] = onlyOfType(b(), 'AWS::Lambda::EventInvokeConfig');
      expect(invokeConfig).toEqual({
        FunctionName: ref('OperationsOperationsHandlerFunction'),
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: getAtt('OperationsFailureQueue', 'Arn') } },
      });
    });

    it('is triggered by ALARM transitions of this env’s alarms on the default bus, with retries and a DLQ', () => {
      const [ruleId, rule] = onlyOfType(b(), 'AWS::Events::Rule');
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.EventPattern).toEqual({
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ prefix: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:Stowage-${env}-` }],
        detail: { state: { value: ['ALARM'] } },
      });
      expect(rule.Targets).toEqual([
        {
          Id: expect.any(String),
          Arn: getAtt('OperationsOperationsHandlerFunction', 'Arn'),
          DeadLetterConfig: { Arn: getAtt('OperationsFailureQueue', 'Arn') },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 24 * 3600 },
        },
      ]);
      const [, permission] = onlyOfType(b(), 'AWS::Lambda::Permission');
      expect(permission).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt('OperationsOperationsHandlerFunction', 'Arn'),
        Principal: 'events.amazonaws.com',
        SourceAccount: ACCOUNT,
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      });
    });

    it('has a managed policy with exactly: redrive the DLQs, send to their queues and the holding queue, settle the verification failures, the messaging key through SQS/SNS, invoke the verifier, re-arm this env’s alarms, publish, its idempotency table', () => {
      // Arrange
      const [roleId, role] = onlyOfType(b(), 'AWS::IAM::Role');
      const policyId = role.ManagedPolicyArns[0].Ref as string;
      const [, policy] = ofType(b(), 'AWS::IAM::ManagedPolicy').find(([id]) => id === policyId)!;
      const messagingKey = fromStack(env, 'Keys', /MessagingKey.*Arn/);
      const dlq = (stack: string, queue: string) =>
        fromStack(env, stack, new RegExp(`${queue}QueueDeadLetterQueue[0-9A-F]{8}Arn`));
      const queue = (stack: string, q: string) =>
        fromStack(env, stack, new RegExp(`${q}Queue[0-9A-F]{8}Arn`));
      // Assert
      expect(role.ManagedPolicyArns).toHaveLength(1);
      expect(roleId).toMatch(/^OperationsOperationsHandlerRole/);
      expect(role.Policies).toBeUndefined();
      expect(ofType(b(), 'AWS::IAM::Policy')).toEqual([]);
      expect(policy.PolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: getAtt('OperationsOperationsHandlerLogGroup', 'Arn'),
        },
        { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
        {
          Sid: 'SendFailedInvocations',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: getAtt('OperationsFailureQueue', 'Arn'),
        },
        {
          Sid: 'EncryptFailedInvocations',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: messagingKey,
          Condition: { StringEquals: { 'kms:ViaService': `sqs.${REGION}.amazonaws.com` } },
        },
        {
          Sid: 'ReadDeadLetterQueues',
          Effect: 'Allow',
          Action: [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:ReceiveMessage',
          ],
          Resource: expect.arrayContaining([
            dlq('Intake', 'Intake'),
            dlq('Intake', 'Quarantine'),
            dlq('Intake', 'Process'),
            fromStack(env, 'Backups', /VerificationFailuresDeadLetterQueue[0-9A-F]{8}Arn/),
          ]),
        },
        {
          Sid: 'RedriveAndPark',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: expect.arrayContaining([
            queue('Intake', 'Intake'),
            queue('Intake', 'Quarantine'),
            queue('Intake', 'Process'),
            fromStack(env, 'Backups', /VerificationFailuresQueue[0-9A-F]{8}Arn/),
            getAtt('OperationsHoldingQueue', 'Arn'),
          ]),
        },
        {
          Sid: 'SettleVerificationFailures',
          Effect: 'Allow',
          Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
          Resource: fromStack(env, 'Backups', /VerificationFailuresQueue[0-9A-F]{8}Arn/),
        },
        {
          Sid: 'MessagingKey',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: messagingKey,
          Condition: {
            StringEquals: {
              'kms:ViaService': [`sqs.${REGION}.amazonaws.com`, `sns.${REGION}.amazonaws.com`],
            },
          },
        },
        {
          Sid: 'ReverifyBackups',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: fromStack(env, 'Backups', /VerifierFunction[0-9A-F]{8}Arn/),
        },
        {
          Sid: 'RearmAlarms',
          Effect: 'Allow',
          Action: 'cloudwatch:SetAlarmState',
          Resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:Stowage-${env}-*`,
        },
        { Sid: 'Report', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId(b()) } },
        {
          Sid: 'IdempotencyRecords',
          Effect: 'Allow',
          Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: getAtt('OperationsIdempotencyTable', 'Arn'),
        },
        {
          Sid: 'IdempotencyRecordsKey',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: fromStack(env, 'Keys', /StatusKey.*Arn/),
          Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } },
        },
      ]);
      const statements = policy.PolicyDocument.Statement as Json[];
      expect(statements.find((s) => s.Sid === 'ReadDeadLetterQueues').Resource).toHaveLength(4);
      expect(statements.find((s) => s.Sid === 'RedriveAndPark').Resource).toHaveLength(5);
    });

    it('carries the operations access tag (it may pass the quarantine read gate) but is granted no object action', () => {
      const [, role] = onlyOfType(b(), 'AWS::IAM::Role');
      expect(role.Tags).toEqual(
        expect.arrayContaining([{ Key: 'stowage:access', Value: `${env}:operations` }]),
      );
      expect(JSON.stringify(ofType(b(), 'AWS::IAM::ManagedPolicy'))).not.toMatch(/"s3:/);
    });

    it('keeps handled alarm transitions in an on-demand, PITR, KMS-encrypted table shaped for Powertools idempotency', () => {
      const [id] = onlyOfType(b(), 'AWS::DynamoDB::Table');
      const table = b().resources[id]!;
      expect(table.Properties).toEqual({
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: fromStack(env, 'Keys', /StatusKey.*Arn/),
        },
        Tags: expect.any(Array),
      });
      expect(table.DeletionPolicy).toBe(env === 'dev' ? 'Delete' : 'Retain');
    });

    it.each([
      ['holding queue', 'OperationsHoldingQueue'],
      ['failure queue', 'OperationsFailureQueue'],
    ])(
      'encrypts its %s with the messaging key, keeps messages 14 days and refuses non-TLS access',
      (_what, idPrefix) => {
        const [id, queue] = ofType(b(), 'AWS::SQS::Queue').find(([qid]) => qid.startsWith(idPrefix))!;
        expect(queue).toMatchObject({
          KmsMasterKeyId: fromStack(env, 'Keys', /MessagingKey.*Arn/),
          MessageRetentionPeriod: 14 * 24 * 3600,
        });
        const [, policy] = ofType(b(), 'AWS::SQS::QueuePolicy').find(([, p]) => p.Queues[0].Ref === id)!;
        expect(policy.PolicyDocument.Statement).toContainEqual({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sqs:*',
          Resource: { 'Fn::GetAtt': [id, 'Arn'] },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        });
      },
    );

    it('lets EventBridge dead-letter into the failure queue only for its rule', () => {
      const [ruleId] = onlyOfType(b(), 'AWS::Events::Rule');
      const [failureId] = ofType(b(), 'AWS::SQS::Queue').find(([id]) =>
        id.startsWith('OperationsFailureQueue'),
      )!;
      const [, policy] = ofType(b(), 'AWS::SQS::QueuePolicy').find(([, p]) => p.Queues[0].Ref === failureId)!;
      expect(policy.PolicyDocument.Statement).toContainEqual({
        Sid: expect.any(String),
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [failureId, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      });
    });
  });

  describe('dashboard', () => {
    /** The dashboard's widgets, with tokens rendered as `<…>`. */
    function widgets(): Json[] {
      const [, dashboard] = onlyOfType(b(), 'AWS::CloudWatch::Dashboard');
      expect(dashboard.DashboardName).toBe(`Stowage-${env}`);
      return JSON.parse(joined(dashboard.DashboardBody)).widgets;
    }
    const titled = (title: string) => widgets().find((w) => w.properties.title === title)!.properties;

    it('shows what an operator needs, alarm status first', () => {
      const titles = widgets().map((w) => w.properties.title);
      expect(titles).toEqual([
        'Alarms',
        'Uploads per hour by verdict',
        'End-to-end latency: upload to processed / quarantined (ms)',
        'Queue depth (visible messages)',
        'Age of the oldest message (s)',
        'DLQ, failure and holding queue depth',
        'Handler errors',
        'Handler duration p99 (ms)',
        'Intake API requests and errors',
        'Backup age per source (hours)',
        'Backup size per source (bytes)',
        'Backup verified per source (1 = ok)',
        'Bucket size (bytes, daily)',
        'Objects per bucket (daily)',
        ...(env === 'prod' ? ['Replication latency (s)', 'Failed replication operations'] : []),
      ]);
    });

    it('lists every alarm and the health alarm in the alarm status widget', () => {
      const alarms = titled('Alarms').alarms as string[];
      expect(alarms).toHaveLength(ofType(b(), 'AWS::CloudWatch::Alarm').length + 1);
      expect(alarms[0]).toMatch(/^<AlarmsHealth[0-9A-F]{8}\.Arn>$/);
    });

    it('counts uploads per hour by verdict and shows end-to-end latency percentiles of both moves', () => {
      expect(titled('Uploads per hour by verdict').metrics).toEqual(
        ['CLEAN', 'INFECTED', 'SUSPICIOUS', 'ERROR'].map((verdict) => [
          'Stowage',
          `Scan${verdict}`,
          'env',
          env,
          'service',
          'scan',
          { label: verdict, period: 3600, stat: 'Sum' },
        ]),
      );
      expect(titled('End-to-end latency: upload to processed / quarantined (ms)').metrics).toEqual(
        ['process', 'quarantine'].flatMap((service) =>
          ['p50', 'p95', 'p99'].map((stat) => [
            'Stowage',
            'EndToEndLatency',
            'env',
            env,
            'service',
            service,
            { label: `${service} ${stat}`, stat },
          ]),
        ),
      );
    });

    it('shows backup age, size and verification per source, and size and objects per bucket daily', () => {
      const sources = b().config.backups.sources.map((s) => s.name);
      const perSource = (title: string) => (titled(title).metrics as Json[]).map((m) => [m[1], m[5], m[7]]);
      expect(perSource('Backup age per source (hours)')).toEqual(
        sources.map((s) => ['BackupAgeHours', 'backup-verify', s]),
      );
      expect(perSource('Backup size per source (bytes)')).toEqual(
        sources.map((s) => ['BackupSizeBytes', 'backup-verify', s]),
      );
      expect(perSource('Backup verified per source (1 = ok)')).toEqual(
        sources.map((s) => ['BackupVerified', 'backup-verify', s]),
      );
      const size = titled('Bucket size (bytes, daily)').metrics as Json[];
      expect(size.map((m) => [m[0], m[1], m[2], m[4], m[5], m[6].period])).toEqual([
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'StandardStorage', 86400],
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'StandardStorage', 86400],
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'GlacierInstantRetrievalStorage', 86400],
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'StandardStorage', 86400],
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'StandardStorage', 86400],
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'GlacierStorage', 86400],
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'StandardStorage', 86400],
        ['AWS/S3', 'BucketSizeBytes', 'BucketName', 'StorageType', 'GlacierStorage', 86400],
      ]);
      const objects = titled('Objects per bucket (daily)').metrics as Json[];
      expect(objects.map((m) => m[6].label)).toEqual([
        'uploads',
        'processed',
        'quarantine',
        'backups',
        'access-logs',
      ]);
      expect(objects.every((m) => m[1] === 'NumberOfObjects' && m[5] === 'AllStorageTypes')).toBe(true);
    });
  });
});

describe('operations contracts', () => {
  it.each(
    Object.entries({
      scan: 'scan',
      quarantine: 'quarantine',
      process: 'process',
      'backup-verify': 'backupVerify',
    }),
  )('reads the metrics lambda/%s emits: namespace Stowage, its service name', (directory, key) => {
    // The handler's Powertools take namespace and service from the environment its StowageFunction sets…
    const source = readFileSync(join(ROOT, 'lambda', directory, 'index.ts'), 'utf8');
    expect(source).toContain('handlerPowertools(config.envName)');
    expect(source).not.toMatch(/namespace:|serviceName:/);
    const powertools = readFileSync(join(ROOT, 'lambda', 'runtime', 'powertools.ts'), 'utf8');
    expect(powertools).toContain('new Metrics({ defaultDimensions: env })');
    expect(powertools).toContain('{ env: envName }');
    // …which holds exactly the namespace and service the alarms and the dashboard read.
    const { stacks } = opsOf('dev');
    const fn = {
      scan: stacks.intake.scanHandler,
      quarantine: stacks.intake.quarantineHandler,
      process: stacks.intake.processHandler,
      'backup-verify': stacks.backups.verifier,
    }[directory]!;
    const stack = Stack.of(fn);
    const logicalId = stack.getLogicalId(fn.function.node.defaultChild as CfnElement);
    const variables =
      Template.fromStack(stack).toJSON().Resources[logicalId].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: 'Stowage',
      POWERTOOLS_SERVICE_NAME: METRIC_SERVICES[key as keyof typeof METRIC_SERVICES],
    });
  });

  it('names the replication rule S3 reports replication metrics under', () => {
    const storage = Template.fromStack(opsOf('prod').stacks.storage).toJSON().Resources as Record<
      string,
      Json
    >;
    const rules = Object.values(storage)
      .filter((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration)
      .map((r) => r.Properties.ReplicationConfiguration.Rules.map((rule: Json) => rule.Id));
    expect(rules).toEqual([[REPLICATION_RULE_ID], [REPLICATION_RULE_ID]]);
  });
});
