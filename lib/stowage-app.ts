import { Tags } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib';
import type { StowageConfig } from './config';
import { stackName } from './config/naming';
import { BackupsStack } from './stacks/backups-stack';
import { IntakeStack } from './stacks/intake-stack';
import { KeysStack } from './stacks/keys-stack';
import { OperationsStack } from './stacks/operations-stack';
import { ReplicaStack } from './stacks/replica-stack';
import { StorageStack } from './stacks/storage-stack';

/** The stacks of one Stowage environment. */
export interface StowageStacks {
  readonly keys: KeysStack;
  readonly storage: StorageStack;
  readonly intake: IntakeStack;
  readonly backups: BackupsStack;
  readonly operations: OperationsStack;
  /** Only when replication is on. */
  readonly replica?: ReplicaStack;
}

/**
 * Creates every stack of one environment in `scope`. Stack names carry the env
 * (`Stowage-<env>-<Part>`); construct IDs below the stacks never do.
 */
export function createStowage(scope: Stage, config: StowageConfig): StowageStacks {
  const env = { account: config.account, region: config.region };
  const base = { config, env, terminationProtection: config.envName === 'prod' };

  const keys = new KeysStack(scope, stackName(config, 'Keys'), {
    ...base,
    description: `Stowage ${config.envName}: customer-managed KMS keys`,
  });

  let replica: ReplicaStack | undefined;
  if (config.replication.enabled) {
    replica = new ReplicaStack(scope, stackName(config, 'Replica'), {
      ...base,
      env: { account: config.account, region: config.replication.replicaRegion },
      description: `Stowage ${config.envName}: replica buckets and key in ${config.replication.replicaRegion}`,
    });
  }

  const storage = new StorageStack(scope, stackName(config, 'Storage'), {
    ...base,
    keys: keys.keys,
    description: `Stowage ${config.envName}: uploads, processed, quarantine, backups and access-log buckets`,
  });
  // Replication names its destination; the destination must exist first.
  if (replica) storage.addStackDependency(replica, 'replication destinations must exist before the rules');

  const intake = new IntakeStack(scope, stackName(config, 'Intake'), {
    ...base,
    keys: keys.keys,
    uploadsBucket: storage.uploads,
    processedBucket: storage.processed,
    quarantineBucket: storage.quarantine,
    description: `Stowage ${config.envName}: intake API, scan pipeline, queues and results bus`,
  });

  const backups = new BackupsStack(scope, stackName(config, 'Backups'), {
    ...base,
    keys: keys.keys,
    backupsBucket: storage.backups,
    description: `Stowage ${config.envName}: nightly backup verification, its schedule and the backup writer role`,
  });

  const operations = new OperationsStack(scope, stackName(config, 'Operations'), {
    ...base,
    keys: keys.keys,
    intake,
    backups,
    storage,
    description: `Stowage ${config.envName}: operations topic, alarms, dashboard and the alarm-driven operations handler`,
  });
  // Its alarms watch both stacks' resources and its handler redrives their queues; neither depends on it.
  operations.addStackDependency(intake, 'alarms and redrive routes name the intake handlers and queues');
  operations.addStackDependency(
    backups,
    'alarms and re-verification name the verifier and its failures queue',
  );

  for (const stack of [keys, storage, intake, backups, operations, replica]) {
    if (!stack) continue;
    Tags.of(stack).add('stowage:app', 'stowage');
    Tags.of(stack).add('stowage:env', config.envName);
    for (const [key, value] of Object.entries(config.tags)) Tags.of(stack).add(key, value);
  }
  return { keys, storage, intake, backups, operations, replica };
}
