/**
 * The import layers (eslint.config.mjs): bench → cli, local, lib, lambda → core, and no handler imports another.
 * Lints made-up files at real paths with the project's own ESLint config, in a child process (ESLint loads its
 * config as an ES module), so the rule is shown to refuse what it must and to let through what it must.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

interface Case {
  readonly filePath: string;
  readonly code: string;
}

const ROOT = path.resolve(__dirname, '..', '..');

/** The no-restricted-imports messages ESLint reports for each case, in order. */
function restrictedImports(cases: readonly Case[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const eslint = new ESLint({ cwd: ${JSON.stringify(ROOT)} });
      const cases = JSON.parse(process.argv[1]);
      const out = [];
      for (const c of cases) {
        const [result] = await eslint.lintText(c.code, { filePath: c.filePath });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const stdout = execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[][];
}

const use = (specifier: string): string => `import { x } from '${specifier}';\nexport const y = x;\n`;

describe('import layers', () => {
  it('refuses imports that point up or across, and allows the ones that point down', () => {
    // Arrange
    const refused: Case[] = [
      { filePath: 'core/intake/a.ts', code: use('../../lib/config') },
      { filePath: 'core/intake/a.ts', code: use('../../lambda/runtime/handler-config') },
      { filePath: 'core/backup/verify/a.ts', code: use('../../../local/runtime/local-mode') },
      { filePath: 'core/a.ts', code: use('../cli/shared/io') },
      { filePath: 'core/scan/a.ts', code: use('aws-cdk-lib/aws-s3') },
      { filePath: 'lambda/scan/a.ts', code: use('../process/handler') },
      { filePath: 'lambda/runtime/a.ts', code: use('../quarantine/index') },
      { filePath: 'lib/stacks/a.ts', code: use('../../bench/support/wav-file') },
      { filePath: 'cli/commands/a.ts', code: use('../../test/support/media-corpus') },
    ];
    const allowed: Case[] = [
      { filePath: 'core/intake/a.ts', code: use('../scan') },
      { filePath: 'lambda/scan/a.ts', code: use('../runtime/handler-config') },
      { filePath: 'lambda/scan/a.ts', code: use('../../core/intake/scan-object') },
      { filePath: 'local/runtime/a.ts', code: use('../../lambda/scan/handler') },
      { filePath: 'lib/stacks/a.ts', code: use('../../core/contracts/handler-env') },
    ];

    // Act
    const messages = restrictedImports([...refused, ...allowed]);

    // Assert
    expect(messages.slice(0, refused.length).map((found) => found.length)).toEqual(refused.map(() => 1));
    expect(messages.slice(refused.length)).toEqual(allowed.map(() => []));
  });
});
