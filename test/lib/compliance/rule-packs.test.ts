import { readFileSync } from 'fs';
import { join } from 'path';
import { Validations } from 'aws-cdk-lib';
import { ACKNOWLEDGEMENTS, IGNORE_ACKNOWLEDGEMENTS_CONTEXT } from '../../../lib/compliance/acknowledgements';
import { renderAcknowledgementsDoc } from '../../../lib/compliance/acknowledgements-doc';
import type { Violation } from '../../support/app';
import { ALL_ENVS, buildEnv, synthWithRulePacks } from '../../support/app';

/** A catalogue rule id with `{placeholders}` as a pattern over real finding ids. */
function rulePattern(rule: string): RegExp {
  const escaped = rule.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\{\w+\}/g, '.+')}$`);
}

describe('security rule packs', () => {
  it.each(ALL_ENVS)('%s synthesizes with zero unacknowledged findings', (env) => {
    // Act
    const violations = synthWithRulePacks(env);
    // Assert
    expect(violations).toEqual([]);
  });

  it('needs every acknowledgement in the catalogue: each matches a real finding when acknowledgements are off', () => {
    // Arrange
    const findings: Violation[] = ALL_ENVS.flatMap((env) =>
      synthWithRulePacks(env, { [IGNORE_ACKNOWLEDGEMENTS_CONTEXT]: true }),
    );
    const ids = new Set(findings.map((f) => f.id));
    // Act
    const unused = Object.entries(ACKNOWLEDGEMENTS).flatMap(([name, ack]) =>
      ack.rules
        .filter((rule) => ![...ids].some((id) => rulePattern(rule).test(id)))
        .map((rule) => `${name}: ${rule}`),
    );
    // Assert
    expect(unused).toEqual([]);
    expect(findings.length).toBeGreaterThan(0);
  });

  it('acknowledges only through the catalogue, with its reasons', () => {
    // Arrange
    const catalogue = Object.values(ACKNOWLEDGEMENTS).flatMap((ack) =>
      ack.rules.map((rule) => ({ pattern: rulePattern(rule), reason: ack.reason })),
    );
    const recorded: Array<{ path: string; id: string; reason: string }> = [];
    for (const env of ALL_ENVS) {
      const { app } = buildEnv(env);
      for (const construct of app.node.findAll()) {
        for (const entry of construct.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
            recorded.push({ path: construct.node.path, id, reason });
          }
        }
      }
    }
    // Act
    const strays = recorded.filter(
      ({ id, reason }) => !catalogue.some((entry) => entry.pattern.test(id) && entry.reason === reason),
    );
    // Assert
    expect(recorded.length).toBeGreaterThan(0);
    expect(strays).toEqual([]);
    // Acknowledgements sit on constructs, never on a stack or the app as a whole.
    expect(recorded.filter((r) => !r.path.includes('/'))).toEqual([]);
  });

  it('documents every acknowledgement: docs/security-acknowledgements.md matches the catalogue', () => {
    const doc = readFileSync(
      join(__dirname, '..', '..', '..', 'docs', 'security-acknowledgements.md'),
      'utf8',
    );
    expect(doc).toBe(renderAcknowledgementsDoc());
  });
});
