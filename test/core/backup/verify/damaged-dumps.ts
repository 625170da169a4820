/**
 * Real pg_dump output of a small database in every form a pg-dump source takes, and damaged variants of it, each
 * with the verdict of the tool that restores it: `pg_restore -f /dev/null` (which reads the TOC and decompresses
 * all data, as a restore does) for archives, `psql -v ON_ERROR_STOP=1` into a scratch database for plain SQL.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ByteReader } from '../../../../core/backup/verify/pg-dump/byte-reader';
import { readPgDumpArchive } from '../../../../core/backup/verify/pg-dump/pg-dump-archive';
import { createDatabase, psql, runPgTool } from '../../../support/integration/postgres-tools';
import { getTestServers } from '../../../support/integration/servers';

/** How the reference tool restores a variant. */
export type RestoreKind = 'archive' | 'directory-tar-gz' | 'plain' | 'plain-gz';

export interface DumpCase {
  readonly name: string;
  readonly bytes: Buffer;
  readonly restore: RestoreKind;
}

export interface DumpSet {
  readonly dir: string;
  readonly cases: readonly DumpCase[];
  cleanup(): void;
}

/** A database with two tables of real rows and a large object, dumped in each form, then damaged. */
export async function makeDumpCases(): Promise<DumpSet> {
  const database = await createDatabase('verify_damage');
  await psql(
    database,
    `create table item (id int primary key, label text, price numeric);
     insert into item select g, md5(g::text) || repeat('x', g % 40), g * 1.25 from generate_series(1, 6000) g;
     create table note (id int, body text);
     insert into note select g, md5(random()::text) || md5(random()::text) from generate_series(1, 3000) g;
     select lo_from_bytea(0, convert_to(repeat('large object ', 500), 'UTF8'));`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'stowage-damaged-dumps-'));
  const file = (name: string) => join(dir, name);
  await runPgTool('pg_dump', ['-Fc', '-f', file('c.dump'), database]);
  await runPgTool('pg_dump', ['-Fc', '-Z0', '-f', file('c0.dump'), database]);
  await runPgTool('pg_dump', ['-Ft', '-f', file('t.tar'), database]);
  await runPgTool('pg_dump', ['-Fd', '-f', file('dumpdir'), database]);
  await runPgTool('pg_dump', ['-f', file('p.sql'), database]);
  execFileSync('tar', ['-czf', file('d.tar.gz'), '-C', dir, 'dumpdir']);
  execFileSync('gzip', ['-k', file('p.sql')]);
  const read = (name: string) => readFileSync(file(name));
  const custom = read('c.dump');
  const tar = read('t.tar');
  const dirTarGz = read('d.tar.gz');
  const plain = read('p.sql');
  const plainGz = read('p.sql.gz');

  const firstData = await firstDataBlock(custom);
  const cases: DumpCase[] = [
    { name: 'custom: whole', bytes: custom, restore: 'archive' },
    {
      name: 'custom: flipped byte in compressed data',
      bytes: flip(custom, firstData + 100),
      restore: 'archive',
    },
    {
      name: 'custom: flipped byte in TOC text (a CREATE TABLE)',
      bytes: flip(custom, custom.indexOf('CREATE TABLE public.item') + 8, 0x20),
      restore: 'archive',
    },
    {
      name: 'custom: flipped byte in TOC structure (a dump id)',
      bytes: flip(custom, tocStart(custom), 0x07),
      restore: 'archive',
    },
    { name: 'custom: truncated in the header (40 bytes)', bytes: custom.subarray(0, 40), restore: 'archive' },
    {
      name: 'custom: truncated in the TOC',
      bytes: custom.subarray(0, Math.floor(firstData / 2)),
      restore: 'archive',
    },
    {
      name: 'custom: truncated in table data (60%)',
      bytes: custom.subarray(0, Math.floor(custom.length * 0.6)),
      restore: 'archive',
    },
    {
      name: 'custom: truncated before the last terminator',
      bytes: custom.subarray(0, custom.length - 3),
      restore: 'archive',
    },
    {
      name: 'custom: wrong compression (data stored, header says zlib)',
      bytes: withCompressionLevel(read('c0.dump'), -1),
      restore: 'archive',
    },
    { name: 'custom: two dumps concatenated', bytes: Buffer.concat([custom, custom]), restore: 'archive' },
    { name: 'tar (-Ft): whole', bytes: tar, restore: 'archive' },
    {
      name: 'tar (-Ft): truncated in a data file',
      bytes: tar.subarray(0, Math.floor(tar.length / 2)),
      restore: 'archive',
    },
    {
      name: 'tar (-Ft): flipped byte in toc.dat structure',
      bytes: flip(tar, tar.indexOf('PGDMP') + tocStart(tar.subarray(tar.indexOf('PGDMP'))), 0x07),
      restore: 'archive',
    },
    { name: 'tar (-Ft): flipped byte in a tar header', bytes: flip(tar, 150), restore: 'archive' },
    { name: 'tar (-Ft): two archives concatenated', bytes: Buffer.concat([tar, tar]), restore: 'archive' },
    { name: 'directory (-Fd) as tar.gz: whole', bytes: dirTarGz, restore: 'directory-tar-gz' },
    {
      name: 'directory (-Fd) as tar.gz: truncated',
      bytes: dirTarGz.subarray(0, Math.floor(dirTarGz.length * 0.7)),
      restore: 'directory-tar-gz',
    },
    {
      name: 'directory (-Fd) as tar.gz: flipped byte',
      bytes: flip(dirTarGz, Math.floor(dirTarGz.length / 2)),
      restore: 'directory-tar-gz',
    },
    {
      name: 'directory (-Fd) as tar.gz: a data file missing',
      bytes: repackDirectory(dir, (files) => rmSync(join(files, largestDataFile(files)))),
      restore: 'directory-tar-gz',
    },
    {
      name: 'directory (-Fd) as tar.gz: a data file damaged inside',
      bytes: repackDirectory(dir, (files) => {
        const target = join(files, largestDataFile(files));
        writeFileSync(target, flip(readFileSync(target), 200));
      }),
      restore: 'directory-tar-gz',
    },
    { name: 'plain SQL: whole', bytes: plain, restore: 'plain' },
    {
      name: 'plain SQL: truncated inside a CREATE TABLE',
      bytes: plain.subarray(0, plain.indexOf('CREATE TABLE public.item') + 30),
      restore: 'plain',
    },
    {
      name: 'plain SQL: truncated inside COPY data',
      bytes: plain.subarray(0, plain.indexOf('\n', plain.indexOf('COPY public.item')) + 3),
      restore: 'plain',
    },
    { name: 'plain SQL: two dumps concatenated', bytes: Buffer.concat([plain, plain]), restore: 'plain' },
    { name: 'plain SQL gzipped: whole', bytes: plainGz, restore: 'plain-gz' },
    {
      name: 'plain SQL gzipped: truncated',
      bytes: plainGz.subarray(0, Math.floor(plainGz.length * 0.6)),
      restore: 'plain-gz',
    },
    {
      name: 'plain SQL gzipped: wrong compression (xz)',
      bytes: execFileSync('xz', ['-c', file('p.sql')]),
      restore: 'plain-gz',
    },
  ];
  return { dir, cases, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The reference verdict: true when the restore tool fails on the variant. Archives: `pg_restore -f /dev/null`.
 * Directory archives packed as tar.gz: `tar -xzf`, then `pg_restore -Fd -f /dev/null`. Plain SQL: psql with
 * ON_ERROR_STOP into a fresh database (gzipped: `gunzip -c | psql` with pipefail). A restore still running after
 * RESTORE_TIMEOUT_MS is stopped and counts as failed (`hangs`: pg_restore 15 loops on a tar cut short).
 */
export async function restoreVerdict(dumpCase: DumpCase, dir: string): Promise<RestoreVerdict> {
  const work = mkdtempSync(join(dir, 'case-'));
  const file = join(work, 'backup');
  writeFileSync(file, dumpCase.bytes);
  try {
    switch (dumpCase.restore) {
      case 'archive':
        return await runWithTimeout('pg_restore', ['-f', '/dev/null', file]);
      case 'directory-tar-gz': {
        const untar = await runWithTimeout('tar', ['-xzf', file, '-C', work]);
        if (untar !== 'ok') return untar;
        return await runWithTimeout('pg_restore', ['-Fd', '-f', '/dev/null', join(work, 'dumpdir')]);
      }
      case 'plain':
      case 'plain-gz': {
        const scratch = await createDatabase('verify_scratch');
        const feed = dumpCase.restore === 'plain' ? `cat '${file}'` : `gunzip -c '${file}'`;
        return await runWithTimeout('bash', [
          '-o',
          'pipefail',
          '-c',
          `${feed} | psql -X -q -v ON_ERROR_STOP=1 -d ${scratch} > /dev/null`,
        ]);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export type RestoreVerdict = 'ok' | 'fails' | 'hangs';

const RESTORE_TIMEOUT_MS = 30_000;

/** Runs a tool against the test PostgreSQL: `ok` on exit 0, `fails` otherwise, `hangs` (killed) after the timeout. */
function runWithTimeout(tool: string, args: readonly string[]): Promise<RestoreVerdict> {
  const { host, port, user } = getTestServers().postgres;
  const env = { ...process.env, PGHOST: host, PGPORT: String(port), PGUSER: user, TZ: 'UTC' };
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [...args], { env, stdio: ['ignore', 'ignore', 'ignore'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RESTORE_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(timedOut ? 'hangs' : code === 0 ? 'ok' : 'fails');
    });
  });
}

function flip(bytes: Buffer, at: number, mask = 0xff): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ mask;
  return copy;
}

/** Offset of the first data block of a custom-format archive (from its TOC). */
async function firstDataBlock(custom: Buffer): Promise<number> {
  let first = Infinity;
  async function* once(): AsyncGenerator<Uint8Array> {
    yield custom;
  }
  await readPgDumpArchive(new ByteReader(once()), (entry) => {
    if (entry.dataOffset !== undefined) first = Math.min(first, entry.dataOffset);
  });
  return first;
}

/**
 * Offset of the sign byte of the first TOC entry's dump id in a 1.14 archive with 4-byte ints: after the fixed
 * header (magic, version, sizes, format, compression level, 7 time ints), three strings and the entry count.
 */
function tocStart(archive: Buffer): number {
  if (archive[8] !== 4) throw new Error('expected an archive with 4-byte integers');
  let at = 5 + 3 + 3 + 5 + 7 * 5;
  for (let string = 0; string < 3; string++) at += 5 + archive.readUInt32LE(at + 1);
  return at + 5;
}

/** A custom-format archive (1.14) with its header's compression level replaced. */
function withCompressionLevel(custom: Buffer, level: number): Buffer {
  const copy = Buffer.from(custom);
  const at = 5 + 3 + 3; // magic, version, intSize offSize format
  copy[at] = level < 0 ? 1 : 0;
  copy.writeUInt32LE(Math.abs(level), at + 1);
  return copy;
}

function largestDataFile(files: string): string {
  const data = readdirSync(files).filter((name) => /^\d+\.dat(\.gz)?$/.test(name));
  return data.sort((a, b) => readFileSync(join(files, b)).length - readFileSync(join(files, a)).length)[0]!;
}

/** The directory archive, changed by `change`, packed again as tar.gz (the original stays as it was). */
function repackDirectory(dir: string, change: (files: string) => void): Buffer {
  const work = mkdtempSync(join(dir, 'repack-'));
  try {
    execFileSync('cp', ['-r', join(dir, 'dumpdir'), join(work, 'dumpdir')]);
    change(join(work, 'dumpdir'));
    return execFileSync('tar', ['-czf', '-', '-C', work, 'dumpdir']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
