import { readFileSync } from 'fs';
import { join } from 'path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { EnvName } from '../../../lib/config';
import type { StackPart } from '../../../lib/config/naming';
import { dashboardName, stackName } from '../../../lib/config/naming';
import { STACK_OUTPUTS } from '../../../lib/stacks/stack-outputs';
import type { StowageStacks } from '../../../lib/stowage-app';
import { ALL_ENVS, buildEnv } from '../../support/app';

const WRITERS = ['arn:aws:iam::111111111111:role/db-backup'];

interface Output {
  Description?: string;
  Value: unknown;
  Export?: unknown;
}

const built = new Map<EnvName, ReturnType<typeof buildEnv>>();
function envOf(env: EnvName) {
  let entry = built.get(env);
  if (!entry) {
    // With writers, so the Backups stack has its (conditional) output too.
    entry = buildEnv(env, { overrides: { backups: { writerPrincipalArns: WRITERS } } });
    built.set(env, entry);
  }
  return entry;
}

const STACK_OF: Record<StackPart, keyof StowageStacks> = {
  Keys: 'keys',
  Storage: 'storage',
  Replica: 'replica',
  Intake: 'intake',
  Backups: 'backups',
  Operations: 'operations',
};

function outputsOf(env: EnvName, part: StackPart): Record<string, Output> {
  const stack = envOf(env).stacks[STACK_OF[part]];
  if (!stack) throw new Error(`env ${env} has no ${part} stack`);
  return Template.fromStack(stack).findOutputs('*') as Record<string, Output>;
}

/** `{ Ref: <logical id> }` of a construct's CloudFormation resource. */
function refOf(stack: Stack, construct: IConstruct): { Ref: string } {
  const child = construct.node.defaultChild as unknown as { logicalId: string };
  return { Ref: stack.resolve(child.logicalId) as string };
}

function arnOf(stack: Stack, construct: IConstruct): unknown {
  const child = construct.node.defaultChild as unknown as { logicalId: string };
  return { 'Fn::GetAtt': [stack.resolve(child.logicalId) as string, 'Arn'] };
}

describe.each(ALL_ENVS)('stack outputs (%s)', (env) => {
  const parts = () =>
    (Object.keys(STACK_OUTPUTS) as StackPart[]).filter((part) => envOf(env).stacks[STACK_OF[part]]);

  it('has every listed output under its stable key in its stack, described, with no export', () => {
    for (const part of parts()) {
      const outputs = outputsOf(env, part);
      for (const [key, description] of Object.entries(STACK_OUTPUTS[part])) {
        expect({ stack: stackName({ envName: env }, part), key, output: outputs[key] }).toEqual({
          stack: stackName({ envName: env }, part),
          key,
          output: { Description: description, Value: expect.anything() },
        });
      }
    }
  });

  it('puts each key in one stack only', () => {
    const keys = Object.values(STACK_OUTPUTS).flatMap((outputs) => Object.keys(outputs));
    expect(new Set(keys).size).toBe(keys.length);
    for (const part of parts()) {
      const others = Object.entries(STACK_OUTPUTS)
        .filter(([p]) => p !== part)
        .flatMap(([, outputs]) => Object.keys(outputs));
      expect(Object.keys(outputsOf(env, part)).filter((key) => others.includes(key))).toEqual([]);
    }
  });

  it('exports nothing under the listed keys (exports would block updates)', () => {
    for (const part of parts()) {
      for (const [key, output] of Object.entries(outputsOf(env, part))) {
        if (key in STACK_OUTPUTS[part])
          expect({ key, Export: output.Export }).toEqual({ key, Export: undefined });
      }
    }
  });

  it('names the bucket of each purpose, and each key of the Keys stack', () => {
    const { stacks } = envOf(env);
    const storage = outputsOf(env, 'Storage');
    expect(storage.UploadsBucketName?.Value).toEqual(refOf(stacks.storage, stacks.storage.uploads));
    expect(storage.ProcessedBucketName?.Value).toEqual(refOf(stacks.storage, stacks.storage.processed));
    expect(storage.QuarantineBucketName?.Value).toEqual(refOf(stacks.storage, stacks.storage.quarantine));
    expect(storage.BackupsBucketName?.Value).toEqual(refOf(stacks.storage, stacks.storage.backups));
    expect(storage.AccessLogsBucketName?.Value).toEqual(refOf(stacks.storage, stacks.storage.accessLogs));

    const keys = outputsOf(env, 'Keys');
    for (const [purpose, key] of Object.entries(stacks.keys.keys)) {
      const outputKey = `${purpose[0]!.toUpperCase()}${purpose.slice(1)}KeyArn`;
      expect({ outputKey, value: keys[outputKey]?.Value }).toEqual({
        outputKey,
        value: arnOf(stacks.keys, key),
      });
    }
  });

  it('gives the API URL, the results bus, the writer role and the dashboard URL', () => {
    const { stacks, config } = envOf(env);
    const intake = outputsOf(env, 'Intake');
    expect(intake.HttpApiUrl?.Value).toEqual(stacks.intake.resolve(stacks.intake.api.url));
    expect(intake.ResultsBusName?.Value).toEqual(refOf(stacks.intake, stacks.intake.resultsBus));
    expect(intake.ResultsBusArn?.Value).toEqual(arnOf(stacks.intake, stacks.intake.resultsBus));

    const backups = outputsOf(env, 'Backups');
    const writerRole = stacks.backups.writerRole;
    if (!writerRole) throw new Error('no writer role');
    expect(backups.BackupWriterRoleArn?.Value).toEqual(arnOf(stacks.backups, writerRole));

    expect(outputsOf(env, 'Operations').DashboardUrl?.Value).toBe(
      `https://${config.region}.console.aws.amazon.com/cloudwatch/home?region=${config.region}` +
        `#dashboards/dashboard/${dashboardName(config)}`,
    );
  });

  it('names the replica buckets and key in the Replica stack when replication is on', () => {
    const { stacks, config } = envOf(env);
    if (!stacks.replica) {
      expect(config.replication.enabled).toBe(false);
      return;
    }
    const replica = outputsOf(env, 'Replica');
    expect(replica.ProcessedReplicaBucketName?.Value).toEqual(
      refOf(stacks.replica, stacks.replica.replicas.processed),
    );
    expect(replica.BackupsReplicaBucketName?.Value).toEqual(
      refOf(stacks.replica, stacks.replica.replicas.backups),
    );
    expect(replica.ReplicaKeyArn?.Value).toEqual(arnOf(stacks.replica, stacks.replica.replicaKey));
    expect(replica.ReplicaAccessLogsBucketName?.Value).toEqual({ Ref: expect.stringMatching(/^AccessLogs/) });
  });
});

describe('docs/deploy.md "Read the outputs"', () => {
  it('lists every output key in the row of its stack', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/deploy.md'), 'utf8');
    const listed: Record<string, string[]> = {};
    for (const [, part, cell] of doc.matchAll(/^\| `Stowage-<env>-(\w+)` +\|(.*)\|$/gm)) {
      listed[part!] = [...cell!.matchAll(/`(\w+)`/g)].map((m) => m[1]!).filter((k) => /^[A-Z]/.test(k));
    }
    const expected = Object.fromEntries(
      Object.entries(STACK_OUTPUTS).map(([part, outputs]) => [part, Object.keys(outputs)]),
    );
    expect(listed).toEqual(expected);
  });
});
