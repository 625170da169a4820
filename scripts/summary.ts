/**
 * `npm start` until local mode lands: synthesizes every environment in-process, with the rule packs,
 * and prints what each would deploy: stacks, keys, buckets with their protections, replication and
 * the rule-pack verdict.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { cdkJsonContext } from '../lib/cdk-json-context';
import { enforceRulePacks } from '../lib/compliance/rule-packs';
import { ENV_NAMES, loadConfig } from '../lib/config';
import { createStowage } from '../lib/stowage-app';

// Templates are untyped JSON; the summary only reads a few well-known properties.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

function describeBucket(id: string, props: Record<string, Json>): string {
  const sse = props.BucketEncryption?.ServerSideEncryptionConfiguration?.[0];
  const encryption =
    sse?.ServerSideEncryptionByDefault?.SSEAlgorithm === 'aws:kms'
      ? `SSE-KMS${sse.BucketKeyEnabled ? ' + bucket key' : ''}`
      : 'SSE-S3';
  const rules = (props.LifecycleConfiguration?.Rules ?? []) as Array<Record<string, Json>>;
  const lifecycle = rules
    .flatMap((r) => [
      ...(r.Transitions ?? []).map(
        (t: { StorageClass: string; TransitionInDays: number }) => `${t.StorageClass}@${t.TransitionInDays}d`,
      ),
      ...(r.ExpirationInDays ? [`expire${r.Prefix ? ` ${r.Prefix}` : ''}@${r.ExpirationInDays}d`] : []),
      ...(r.NoncurrentVersionExpiration
        ? [`noncurrent@${r.NoncurrentVersionExpiration.NoncurrentDays}d`]
        : []),
      ...(r.AbortIncompleteMultipartUpload
        ? [`abort-mpu@${r.AbortIncompleteMultipartUpload.DaysAfterInitiation}d`]
        : []),
    ])
    .join(' ');
  const flags = [
    props.VersioningConfiguration?.Status === 'Enabled' ? 'versioned' : 'NOT VERSIONED',
    props.PublicAccessBlockConfiguration?.RestrictPublicBuckets
      ? 'no public access'
      : 'PUBLIC ACCESS POSSIBLE',
    props.LoggingConfiguration ? `logs → ${props.LoggingConfiguration.LogFilePrefix}` : 'log target',
    props.CorsConfiguration
      ? `CORS ${props.CorsConfiguration.CorsRules[0].AllowedOrigins.join(',')}`
      : undefined,
    props.ObjectLockConfiguration
      ? `object lock ${props.ObjectLockConfiguration.Rule.DefaultRetention.Days}d`
      : undefined,
    props.ReplicationConfiguration
      ? `replicates → ${props.ReplicationConfiguration.Rules[0].Destination.Bucket}`
      : undefined,
  ].filter(Boolean);
  return `    ${id.replace(/Bucket[0-9A-F]{8}$/, '').padEnd(18)} ${encryption.padEnd(20)} ${flags.join(', ')}\n      lifecycle: ${lifecycle}`;
}

const outRoot = mkdtempSync(join(tmpdir(), 'stowage-summary-'));
let failed = false;
try {
  for (const envName of ENV_NAMES) {
    const config = loadConfig(envName, { environment: process.env });
    const outdir = join(outRoot, envName);
    const app = new App({ outdir, context: cdkJsonContext() });
    enforceRulePacks(app);
    createStowage(app, config);
    let verdict = 'rule packs: zero unacknowledged findings';
    try {
      app.synth();
    } catch {
      failed = true;
      verdict = `rule packs: FINDINGS, see ${join(outdir, 'validation-report.json')}`;
    }
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .reduce((n, m) => n + Object.keys(m.data as object).length, 0);

    console.log(
      `\n== ${envName}: account ${config.account}, ${config.region}, removal ${config.removalPolicy}`,
    );
    for (const stack of app.node.children.filter((c): c is Stack => c instanceof Stack)) {
      const template = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as {
        Resources: Resources;
      };
      console.log(`  ${stack.stackName} (${stack.region})`);
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Type === 'AWS::KMS::Key') {
          const alias = Object.values(template.Resources).find(
            (a) => a.Type === 'AWS::KMS::Alias' && JSON.stringify(a.Properties?.TargetKeyId).includes(id),
          );
          console.log(
            `    key ${String(alias?.Properties?.AliasName).padEnd(32)} rotation ${r.Properties?.EnableKeyRotation ? 'on' : 'OFF'}`,
          );
        }
        if (r.Type === 'AWS::S3::Bucket') console.log(describeBucket(id, r.Properties ?? {}));
        if (r.Type === 'AWS::Lambda::Function' && r.Properties?.Runtime) {
          const p = r.Properties;
          console.log(
            `    function ${id.replace(/Function[0-9A-F]{8}$/, '').padEnd(24)} ${p.Runtime} ${p.Architectures?.[0] ?? ''}, ` +
              `${p.MemorySize} MB, ${p.Timeout} s, reserved ${p.ReservedConcurrentExecutions ?? '-'}, ` +
              `tracing ${p.TracingConfig?.Mode ?? 'off'}`,
          );
        }
        if (r.Type === 'AWS::SQS::Queue') {
          const p = r.Properties ?? {};
          const dlq = p.RedrivePolicy
            ? `, DLQ after ${p.RedrivePolicy.maxReceiveCount} receives`
            : ' (dead-letter queue)';
          console.log(
            `    queue    ${id.replace(/[0-9A-F]{8}$/, '').padEnd(24)} ${p.KmsMasterKeyId ? 'SSE-KMS' : 'NOT ENCRYPTED'}${dlq}`,
          );
        }
        if (r.Type === 'AWS::Scheduler::Schedule') {
          console.log(
            `    schedule ${String(r.Properties?.ScheduleExpression)} ${r.Properties?.ScheduleExpressionTimezone ?? 'UTC'}`,
          );
        }
        if (r.Type === 'AWS::GuardDuty::MalwareProtectionPlan')
          console.log('    GuardDuty Malware Protection on uploads/');
        if (r.Type === 'AWS::SNS::Topic') {
          console.log(
            `    topic    ${String(r.Properties?.TopicName).padEnd(24)} ${r.Properties?.KmsMasterKeyId ? 'SSE-KMS' : 'NOT ENCRYPTED'}`,
          );
        }
      }
      const resources = Object.values(template.Resources);
      const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      if (alarms.length > 0) {
        const composite = resources.find((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm');
        const dashboard = resources.find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
        const breaching = alarms.filter((r) => r.Properties?.TreatMissingData === 'breaching').length;
        console.log(
          `    alarms   ${alarms.length} (${breaching} treat missing data as breaching), actions ` +
            `${alarms.every((r) => r.Properties?.ActionsEnabled) ? 'on' : 'off'}; composite ` +
            `${String(composite?.Properties?.AlarmName)}; dashboard ${String(dashboard?.Properties?.DashboardName)}`,
        );
      }
    }
    console.log(
      `  ${verdict} (${acknowledged} acknowledged with reasons: docs/security-acknowledgements.md)`,
    );
  }
} finally {
  rmSync(outRoot, { recursive: true, force: true });
}
console.log('\nDeploy one: npx cdk deploy --all -c env=<dev|staging|prod>');
process.exit(failed ? 1 : 0);
