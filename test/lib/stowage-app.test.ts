import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ALL_ENVS, buildEnv } from '../support/app';

describe.each(ALL_ENVS)('the %s app', (env) => {
  const { app, stacks, config } = buildEnv(env);
  const all = app.node.children.filter((c): c is Stack => c instanceof Stack);

  it('names its stacks Stowage-<env>-<Part>', () => {
    const expected = [
      `Stowage-${env}-Keys`,
      `Stowage-${env}-Storage`,
      `Stowage-${env}-Intake`,
      `Stowage-${env}-Backups`,
      `Stowage-${env}-Operations`,
    ];
    if (env === 'prod') expected.push(`Stowage-${env}-Replica`);
    expect(all.map((s) => s.stackName).sort()).toEqual(expected.sort());
  });

  it('deploys to the configured account and regions without lookups', () => {
    expect(stacks.keys.account).toBe(config.account);
    expect(stacks.keys.region).toBe(config.region);
    expect(stacks.storage.region).toBe(config.region);
    expect(all.every((s) => !s.node.tryGetContext('availability-zones'))).toBe(true);
  });

  it('keeps the env name out of construct IDs below the stacks', () => {
    const ids = all.flatMap((s) =>
      s.node
        .findAll()
        .filter((c) => c !== s)
        .map((c) => c.node.id),
    );
    expect(ids.filter((id) => id.toLowerCase().includes(env))).toEqual([]);
  });

  it('tags every taggable resource with the app and env', () => {
    for (const stack of all) {
      const template = Template.fromStack(stack);
      for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
        for (const resource of Object.values(template.findResources(type))) {
          expect(resource.Properties.Tags).toEqual(
            expect.arrayContaining([
              { Key: 'stowage:app', Value: 'stowage' },
              { Key: 'stowage:env', Value: env },
            ]),
          );
        }
      }
    }
  });

  it(env === 'prod' ? 'turns on termination protection' : 'leaves termination protection off', () => {
    expect(all.every((s) => s.terminationProtection === (env === 'prod'))).toBe(true);
  });

  it('matches its snapshot (asset hashes scrubbed)', () => {
    const templates = Object.fromEntries(all.map((s) => [s.stackName, Template.fromStack(s).toJSON()]));
    expect(templates).toMatchSnapshot();
  });
});
