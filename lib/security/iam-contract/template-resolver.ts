import { createHash } from 'crypto';

/** One synthesized CloudFormation template and where its stack deploys. */
export interface StackTemplate {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: CfnTemplate;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** A resource of a stack with the stack it belongs to. */
export interface LocatedResource {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

/**
 * Resolves the intrinsic functions of a set of synthesized templates (one env) into the concrete values
 * CloudFormation would produce: Ref and Fn::GetAtt of every resource type Stowage's policies name, cross-stack
 * Fn::GetStackOutput and Fn::ImportValue, Fn::Join/Select/Split and the pseudo parameters. Generated physical
 * names follow CloudFormation's pattern (`<stack>-<logical id>-<suffix>`, lower case for buckets) with a
 * deterministic suffix, so ARN patterns such as `role/Stowage-dev-*` match as they would on AWS.
 */
export class TemplateResolver {
  private readonly stacks: ReadonlyMap<string, StackTemplate>;

  constructor(stacks: readonly StackTemplate[]) {
    this.stacks = new Map(stacks.map((s) => [s.stackName, s]));
  }

  /** Every stack, in the given order. */
  get all(): readonly StackTemplate[] {
    return [...this.stacks.values()];
  }

  /** Every resource of `type` across the stacks. */
  resourcesOfType(type: string): LocatedResource[] {
    return this.all.flatMap((stack) =>
      Object.entries(stack.template.Resources ?? {})
        .filter(([, resource]) => resource.Type === type)
        .map(([logicalId, resource]) => ({ stack, logicalId, resource })),
    );
  }

  /** The resource a logical id names in `stack`. */
  resource(stack: StackTemplate, logicalId: string): CfnResource {
    const resource = stack.template.Resources?.[logicalId];
    if (!resource) throw new Error(`${stack.stackName}: no resource ${logicalId}`);
    return resource;
  }

  /** `value` with every intrinsic function resolved in the context of `stack`. */
  resolve(stack: StackTemplate, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.ref(stack, arg as string);
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(stack, logicalId as string, attribute as string);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(stack, parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.resolve(stack, list) as unknown[])[Number(this.resolve(stack, index))];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(this.resolve(stack, source)).split(separator);
        }
        case 'Fn::GetStackOutput': {
          const { StackName, OutputName } = arg as { StackName: string; OutputName: string };
          return this.output(StackName, OutputName);
        }
        case 'Fn::ImportValue':
          return this.importValue(String(this.resolve(stack, arg)));
        case 'Fn::Sub':
          return this.sub(stack, arg);
        default:
          if (fn.startsWith('Fn::')) throw new Error(`${stack.stackName}: unsupported intrinsic ${fn}`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  /** The value of output `name` of stack `stackName`. */
  output(stackName: string, name: string): unknown {
    const stack = this.stacks.get(stackName);
    if (!stack) throw new Error(`no stack ${stackName} (Fn::GetStackOutput)`);
    const output = stack.template.Outputs?.[name];
    if (!output) throw new Error(`${stackName}: no output ${name}`);
    return this.resolve(stack, output.Value);
  }

  private importValue(exportName: string): unknown {
    for (const stack of this.all) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const exported = (output as { Export?: { Name?: unknown } }).Export?.Name;
        if (exported !== undefined && this.resolve(stack, exported) === exportName) {
          return this.resolve(stack, output.Value);
        }
      }
    }
    throw new Error(`no export named ${exportName}`);
  }

  private sub(stack: StackTemplate, arg: unknown): string {
    const [text, variables] = Array.isArray(arg)
      ? (arg as [string, Record<string, unknown>])
      : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in variables) return String(this.resolve(stack, variables[name]));
      const [logicalId, attribute] = name.split('.');
      return String(attribute ? this.getAtt(stack, logicalId, attribute) : this.ref(stack, logicalId));
    });
  }

  private ref(stack: StackTemplate, name: string): unknown {
    switch (name) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::AccountId':
        return stack.account;
      case 'AWS::Region':
        return stack.region;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
    }
    const resource = stack.template.Resources?.[name];
    if (!resource) throw new Error(`${stack.stackName}: Ref to unknown ${name}`);
    const { account, region } = stack;
    const physical = this.physicalName(stack, name);
    switch (resource.Type) {
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${account}:policy/${physical}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${physical}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${physical}`;
      case 'AWS::KMS::Key':
        return keyId(stack, name);
      default:
        return physical;
    }
  }

  private getAtt(stack: StackTemplate, logicalId: string, attribute: string): unknown {
    const resource = this.resource(stack, logicalId);
    const { account, region } = stack;
    const name = this.physicalName(stack, logicalId);
    const arns: Record<string, string> = {
      'AWS::S3::Bucket': `arn:aws:s3:::${name}`,
      'AWS::KMS::Key': `arn:aws:kms:${region}:${account}:key/${keyId(stack, logicalId)}`,
      'AWS::IAM::Role': `arn:aws:iam::${account}:role/${name}`,
      'AWS::SQS::Queue': `arn:aws:sqs:${region}:${account}:${name}`,
      'AWS::DynamoDB::Table': `arn:aws:dynamodb:${region}:${account}:table/${name}`,
      'AWS::Events::EventBus': `arn:aws:events:${region}:${account}:event-bus/${name}`,
      'AWS::Events::Rule': `arn:aws:events:${region}:${account}:rule/${name}`,
      'AWS::Events::Archive': `arn:aws:events:${region}:${account}:archive/${name}`,
      'AWS::SNS::Topic': `arn:aws:sns:${region}:${account}:${name}`,
      'AWS::Lambda::Function': `arn:aws:lambda:${region}:${account}:function:${name}`,
      'AWS::Logs::LogGroup': `arn:aws:logs:${region}:${account}:log-group:${name}:*`,
      'AWS::Scheduler::ScheduleGroup': `arn:aws:scheduler:${region}:${account}:schedule-group/${name}`,
      'AWS::CloudWatch::Alarm': `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
      'AWS::CloudWatch::CompositeAlarm': `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
    };
    switch (attribute) {
      case 'Arn':
      case 'TopicArn':
        if (resource.Type in arns) return arns[resource.Type];
        break;
      case 'QueueName':
      case 'TopicName':
      case 'Name':
        return name;
      case 'QueueUrl':
        return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
      case 'KeyId':
        return keyId(stack, logicalId);
      case 'RoleId':
        return `AROA${digest(stack, logicalId, 17).toUpperCase()}`;
      case 'DomainName':
        return `${name}.s3.amazonaws.com`;
      case 'RegionalDomainName':
        return `${name}.s3.${region}.amazonaws.com`;
      case 'ApiEndpoint':
        return `https://${digest(stack, logicalId, 10)}.execute-api.${region}.amazonaws.com`;
    }
    throw new Error(
      `${stack.stackName}: unsupported Fn::GetAtt ${logicalId}.${attribute} (${resource.Type})`,
    );
  }

  /** The resource's physical name: its name property when set, else CloudFormation's generated form. */
  physicalName(stack: StackTemplate, logicalId: string): string {
    const resource = this.resource(stack, logicalId);
    const props = resource.Properties ?? {};
    const named = NAME_PROPERTIES[resource.Type];
    if (named && props[named] !== undefined) return String(this.resolve(stack, props[named]));
    const generated = `${stack.stackName}-${logicalId}-${digest(stack, logicalId, 12).toUpperCase()}`;
    switch (resource.Type) {
      case 'AWS::S3::Bucket':
        return generated.toLowerCase().slice(0, 63);
      case 'AWS::IAM::Role':
      case 'AWS::IAM::ManagedPolicy':
        return generated.slice(0, 64);
      case 'AWS::SQS::Queue':
        return props.FifoQueue ? `${generated.slice(0, 75)}.fifo` : generated.slice(0, 80);
      default:
        return generated;
    }
  }
}

const NAME_PROPERTIES: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::Archive': 'ArchiveName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::CompositeAlarm': 'AlarmName',
};

function digest(stack: StackTemplate, logicalId: string, length: number): string {
  return createHash('sha256').update(`${stack.stackName}/${logicalId}`).digest('hex').slice(0, length);
}

/** A KMS key id in the UUID form KMS uses. */
function keyId(stack: StackTemplate, logicalId: string): string {
  const hex = digest(stack, logicalId, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
