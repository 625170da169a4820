/**
 * The hostile and clean media corpora (test/support/media-corpus.ts) through the real clamd of the test run and
 * the built-in engine together, and through `stowage scan` as a separate process.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import path from 'node:path';

import { createBuiltinEngine, createClamdEngine, scanStream } from '../../../core/scan';
import type { ScanLine } from '../../../cli/commands/scan';
import { getTestServers } from '../../support/integration/servers';
import { removeMediaCorpus, cleanCorpus, hostileCorpus } from '../../support/media-corpus';

afterAll(removeMediaCorpus);

const REPO_ROOT = path.resolve(__dirname, '../../..');

describe('hostile media through real clamd and the built-in engine', () => {
  const { clamd } = getTestServers();
  const engines = [createBuiltinEngine(), createClamdEngine({ host: clamd.host, port: clamd.port })];

  it('quarantines every hostile file with the built-in reason, and passes every clean one', async () => {
    // Arrange
    const hostile = hostileCorpus();
    const clean = cleanCorpus().filter((file) => file.type !== 'video/x-matroska');
    const failures: string[] = [];
    // Act
    for (const file of hostile) {
      const verdict = await scanStream(createReadStream(file.path), engines, {
        declaredContentType: file.type,
        fileName: file.name,
      });
      const builtin = verdict.engines.find((engine) => engine.engine === 'builtin')!;
      if (verdict.status !== 'INFECTED' && verdict.status !== 'SUSPICIOUS') {
        failures.push(`${file.name}: ${verdict.status}`);
      }
      if (builtin.status !== file.expected || !file.reason.test(builtin.reason ?? '')) {
        failures.push(`${file.name}: builtin ${builtin.status} ${builtin.reason}`);
      }
    }
    for (const file of clean) {
      const verdict = await scanStream(createReadStream(file.path), engines, {
        declaredContentType: file.type,
        fileName: file.name,
      });
      if (verdict.status !== 'CLEAN') failures.push(`${file.name}: ${verdict.status} ${verdict.reason}`);
    }
    // Assert
    expect(failures).toEqual([]);
  });

  it('`stowage scan` exits 1 and reports each hostile file, in a separate process', () => {
    // Arrange
    const hostile = hostileCorpus();
    // Act
    const run = spawnSync(
      process.execPath,
      [
        'bin/stowage.js',
        'scan',
        '--clamd',
        `${clamd.host}:${clamd.port}`,
        ...hostile.map((file) => file.path),
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    // Assert
    expect(run.status).toBe(1);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ScanLine);
    expect(lines.map((line) => path.basename(line.file))).toEqual(hostile.map((file) => file.name));
    const missed = lines.filter((line) => line.status !== 'INFECTED' && line.status !== 'SUSPICIOUS');
    expect(missed).toEqual([]);
  });

  it('`stowage scan` exits 0 for the clean corpus, in a separate process', () => {
    // Arrange
    const clean = cleanCorpus();
    // Act
    const run = spawnSync(process.execPath, ['bin/stowage.js', 'scan', ...clean.map((file) => file.path)], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    // Assert
    expect(run.stdout.split('\n').filter((line) => line && !line.includes('"CLEAN"'))).toEqual([]);
    expect(run.status).toBe(0);
  });
});
