import { Duration, Stack } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { join } from 'path';
import type { HandlerEnvName } from '../../core/contracts/handler-env';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { METRICS_NAMESPACE } from '../../core/contracts/metrics';
import { acknowledge } from '../compliance/acknowledgements';

/** The runtime every Stowage handler runs on: the newest Node.js aws-cdk-lib offers (pinned, not NODEJS_LATEST). */
export const STOWAGE_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** esbuild target matching STOWAGE_RUNTIME. */
export const STOWAGE_ESBUILD_TARGET = 'node24';

/**
 * Prefer packages' ES module builds: esbuild can tree-shake them, which took the scan bundle from 1.4 MB to
 * 1.1 MB and its cold module load from ~178 ms to ~136 ms (bench/handler-bundles.ts). Output stays CommonJS.
 */
export const STOWAGE_ESBUILD_MAIN_FIELDS = ['module', 'main'];

const PROJECT_ROOT = join(__dirname, '..', '..');
const HANDLER_ENV_NAMES: ReadonlySet<string> = new Set(Object.values(HANDLER_ENV));

/** Levels of the handlers' structured logs (Powertools and Lambda's advanced logging controls). */
export type StowageLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** The contract environment of a handler: only names from HANDLER_ENV (core/contracts/handler-env.ts). */
export type HandlerEnvironment = Readonly<Partial<Record<HandlerEnvName, string>>>;

export interface StowageFunctionProps {
  /** Entry file of the handler, relative to the project root, e.g. `lambda/scan/index.ts`. */
  readonly entry: string;
  /** What the handler does, shown in the console. */
  readonly description: string;
  /** Memory in MB (Lambda allots CPU in proportion). */
  readonly memoryMb: number;
  /** Timeout in seconds. */
  readonly timeoutSeconds: number;
  /** Reserved concurrency: a cap on this handler that also protects the rest of the account. */
  readonly reservedConcurrency: number;
  /** Contract environment variables; only HANDLER_ENV names are accepted. @default none */
  readonly environment?: HandlerEnvironment;
  /**
   * POWERTOOLS_SERVICE_NAME: the `service` of every log line, trace and metric (the handler's HANDLER_SERVICES entry,
   * core/contracts/metrics.ts). POWERTOOLS_METRICS_NAMESPACE is always METRICS_NAMESPACE.
   */
  readonly serviceName: string;
  /** Log level of Powertools and of Lambda's application logs. */
  readonly logLevel: StowageLogLevel;
  /** Retention of the function's log group, in days (a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;
  /** Removal policy of the function's log group. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Customer-managed key the log group is encrypted with. @default CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Queue that receives asynchronous invocations which failed after their retries. Set it whenever
   * anything invokes the function asynchronously (S3, SNS, EventBridge targets).
   * @default none: the function is invoked only synchronously (API) or by SQS event source mappings,
   *   whose failed messages go to the source queue's own DLQ
   */
  readonly asyncFailureQueue?: sqs.IQueue;
}

/**
 * The one way Stowage creates a Lambda handler: NodejsFunction bundled with the local esbuild (never
 * Docker), minified with source maps, on arm64 and the newest Node.js runtime, X-Ray active tracing, an
 * explicit log group with retention and removal policy from config, JSON logs, reserved concurrency and
 * timeout from config, a role of its own, contract env vars only, and an on-failure destination whenever
 * it is invoked asynchronously.
 */
export class StowageFunction extends Construct {
  /** The function. */
  readonly function: nodejs.NodejsFunction;
  /** Its execution role (no managed policies; grants are added by the stack that owns the function). */
  readonly role: iam.Role;
  /** The customer-managed policy that holds every permission of the role. */
  readonly policy: iam.ManagedPolicy;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StowageFunctionProps) {
    super(scope, id);
    validateProps(id, props);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logEncryptionKey,
    });

    // An explicit role without AWSLambdaBasicExecutionRole: it may write only to its own log group.
    // Every grant (CDK's included) lands in one customer-managed policy, never in an inline one.
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Permissions of the Stowage ${id} handler`,
    });
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Stowage ${id} handler: ${props.description}`,
      policy: this.policy,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: STOWAGE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourceMapMode: nodejs.SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: STOWAGE_ESBUILD_TARGET,
        format: nodejs.OutputFormat.CJS,
        mainFields: STOWAGE_ESBUILD_MAIN_FIELDS,
        // Bundle the AWS SDK too: the versions the tests ran against, not whatever the runtime ships.
        externalModules: [],
        keepNames: true,
      },
    });
    // X-Ray accepts trace segments only on `*`; CDK adds exactly PutTraceSegments/PutTelemetryRecords.
    acknowledge(this.policy, 'xrayWriteNeedsWildcardResource');

    if (props.asyncFailureQueue) {
      this.sendAsyncFailuresTo(props.asyncFailureQueue);
    } else {
      acknowledge(this.function, 'handlerNotInvokedAsynchronously');
    }
  }

  /**
   * Failed asynchronous invocations (after Lambda's 2 retries, or 6 hours) go to `queue` as an on-failure
   * destination record (request, response and error). Lambda sends it with the function's role, which gets
   * exactly SendMessage on the queue and, for an SSE-KMS queue, GenerateDataKey and Decrypt on its key through
   * SQS (SqsDestination would grant `kms:ReEncrypt*` and `kms:GenerateDataKey*`).
   */
  private sendAsyncFailuresTo(queue: sqs.IQueue): void {
    this.function.configureAsyncInvoke({
      onFailure: { bind: () => ({ destination: queue.queueArn }) },
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
      }),
    );
    if (queue.encryptionMasterKey) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptFailedInvocations',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [queue.encryptionMasterKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    // The rule packs look for a Lambda DLQ; the on-failure destination replaces it.
    acknowledge(this.function, 'asyncFailuresGoToDestination');
  }
}

/** A role whose principal-policy statements all go into one customer-managed policy. */
class ManagedPolicyRole extends iam.Role {
  private readonly managedPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps & { readonly policy: iam.ManagedPolicy }) {
    const { policy, ...roleProps } = props;
    super(scope, id, { ...roleProps, managedPolicies: [policy] });
    this.managedPolicy = policy;
  }

  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.managedPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.managedPolicy };
  }
}

function validateProps(id: string, props: StowageFunctionProps): void {
  const problems: string[] = [];
  const strays = Object.keys(props.environment ?? {}).filter((name) => !HANDLER_ENV_NAMES.has(name));
  if (strays.length > 0) {
    problems.push(`environment may only hold HANDLER_ENV names (got ${strays.join(', ')})`);
  }
  if (!/^lambda\/[a-z0-9-]+\/index\.ts$/.test(props.entry)) {
    problems.push(`entry must be lambda/<handler>/index.ts (got ${props.entry})`);
  }
  if (!(Object.values(logs.RetentionDays) as unknown[]).includes(props.logRetentionDays)) {
    problems.push(`logRetentionDays ${props.logRetentionDays} is not a CloudWatch Logs retention`);
  }
  if (problems.length > 0) throw new Error(`StowageFunction ${id}: ${problems.join('; ')}`);
}
