/**
 * PostgreSQL's own client tools (psql, pg_dump, pg_restore from postgresql-client) against the test run's server:
 * databases with real data, dumps made by real pg_dump, and `pg_restore --list` to judge them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { getTestServers } from './servers';

/** Connection settings for the tools: the test server, its superuser, no password (trust), no ~/.psqlrc. */
function toolEnv(): NodeJS.ProcessEnv {
  const { host, port, user } = getTestServers().postgres;
  return {
    ...process.env,
    PGHOST: host,
    PGPORT: String(port),
    PGUSER: user,
    PGCONNECT_TIMEOUT: '5',
    TZ: 'UTC',
  };
}

/** Runs a client tool to completion; rejects with its stderr when it exits non-zero. */
export function runPgTool(
  tool: string,
  args: readonly string[],
  options: { readonly input?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [...args], { env: toolEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else {
        const why = signal ? `killed by ${signal}` : `exited with ${code}`;
        reject(
          new Error(`${tool} ${args.join(' ')} ${why}: ${Buffer.concat(stderr).toString('utf8').trim()}`),
        );
      }
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs SQL in `database` with psql, stopping at the first error; returns psql's unaligned output. */
export function psql(database: string, sql: string): Promise<string> {
  return runPgTool('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', database], { input: sql });
}

/** Creates a database with a unique name (tests never share one) and returns the name. */
export async function createDatabase(prefix: string): Promise<string> {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await psql('postgres', `create database ${name};`);
  return name;
}

/** `pg_dump -Fc -f FILE DATABASE`: a custom-format archive written to a seekable file. */
export async function pgDumpCustom(database: string, file: string): Promise<void> {
  await runPgTool('pg_dump', ['-Fc', '-f', file, database]);
}

/** `pg_dump DATABASE | gzip > FILE`: a plain SQL dump, gzip-compressed on the way to the file. */
export async function pgDumpPlainGzip(database: string, file: string): Promise<void> {
  const child = spawn('pg_dump', [database], { env: toolEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  await pipeline(child.stdout, createGzip(), createWriteStream(file));
  const code = await exited;
  if (code !== 0)
    throw new Error(`pg_dump ${database} exited with ${code}: ${Buffer.concat(stderr).toString()}`);
}

/** `pg_restore --list FILE`: the header comment lines and the entry lines, as pg_restore prints them. */
export async function pgRestoreList(file: string): Promise<{ header: string[]; entries: string[] }> {
  const lines = (await runPgTool('pg_restore', ['--list', file])).split('\n').filter((line) => line.trim());
  return {
    header: lines.filter((line) => line.startsWith(';')),
    entries: lines.filter((line) => !line.startsWith(';')),
  };
}
