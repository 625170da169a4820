/**
 * Every form a pg-dump source takes, made by the real pg_dump of PostgreSQL 15, read by checkPgDump in chunks of
 * many sizes (so every field, COPY terminator and tar header crosses a chunk boundary somewhere): the verdict and
 * the counts must not depend on how the bytes arrive, and must match what pg_restore --list reports.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkPgDump } from '../../../../core/backup/verify/pg-dump/pg-dump-formats';
import { createDatabase, pgRestoreList, psql, runPgTool } from '../../../support/integration/postgres-tools';

jest.setTimeout(180_000);

const CHUNK_SIZES = [3, 509, 4096, 1 << 20];

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

describe('checkPgDump on every form pg_dump writes, however the bytes are chunked', () => {
  let dir: string;
  let database: string;

  beforeAll(async () => {
    database = await createDatabase('verify_forms');
    await psql(
      database,
      `create table item (id int primary key, label text);
       insert into item select g, repeat(md5(g::text), 1 + g % 5) from generate_series(1, 4000) g;
       create table empty_table (id int);
       select lo_from_bytea(0, convert_to('a large object', 'UTF8'));`,
    );
    dir = mkdtempSync(join(tmpdir(), 'stowage-pg-forms-'));
    await runPgTool('pg_dump', ['-Fc', '-f', join(dir, 'c.dump'), database]);
    await runPgTool('pg_dump', ['-Ft', '-f', join(dir, 't.tar'), database]);
    await runPgTool('pg_dump', ['-Fd', '-f', join(dir, 'dumpdir'), database]);
    await runPgTool('pg_dump', ['-Fd', '-Z0', '-f', join(dir, 'plaindir'), database]);
    await runPgTool('pg_dump', ['-f', join(dir, 'p.sql'), database]);
    execFileSync('tar', ['-czf', join(dir, 'd.tar.gz'), '-C', dir, 'dumpdir']);
    execFileSync('tar', ['-cf', join(dir, 'd0.tar'), '-C', dir, 'plaindir']);
    execFileSync('gzip', ['-k', join(dir, 'p.sql')]);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['c.dump', 'custom', false],
    ['t.tar', 'tar', false],
    ['d.tar.gz', 'directory', true],
    ['d0.tar', 'directory', false],
    ['p.sql', 'plain', false],
    ['p.sql.gz', 'plain', true],
  ] as const)('%s: %s, gzipped %s, the same at every chunk size', async (file, form, gzipped) => {
    // Arrange
    const bytes = readFileSync(join(dir, file));
    const listed = form === 'plain' ? undefined : await pgRestoreList(join(dir, 'c.dump'));

    // Act
    const results = [];
    for (const size of CHUNK_SIZES) results.push(await checkPgDump(chunked(bytes, size)));

    // Assert
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]).toMatchObject({ form, gzipped });
    if (listed) {
      // item, empty_table and the large objects: one data block or file each.
      expect(results[0]!.dataUnits).toBe(3);
      expect(listed.entries.filter((entry) => / TABLE DATA | BLOBS /.test(entry))).toHaveLength(3);
      expect(results[0]!.header?.database).toBe(database);
    } else {
      expect(results[0]!.dataUnits).toBe(2); // COPY blocks: item and empty_table
    }
  });
});
