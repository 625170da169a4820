/**
 * PostgreSQL dumps made at test time by the real server and pg_dump, backed up as an operator would: pushed with
 * `stowage backup push`, verified with `stowage backup verify` (the pg-dump check against `pg_restore --list`),
 * pulled back and restored into a fresh database.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { runBackupPullCommand } from '../../../../cli/commands/backup/pull';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { runBackupVerifyCommand } from '../../../../cli/commands/backup/verify';
import { EXIT } from '../../../../cli/shared/command-io';
import type { VerificationReport } from '../../../../core/backup/verify/verification-report';
import {
  createDatabase,
  pgDumpCustom,
  pgDumpPlainGzip,
  pgRestoreList,
  psql,
  runPgTool,
} from '../../../support/integration/postgres-tools';
import { getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const TAKEN_AT = new Date('2026-11-26T03:00:00Z');
const VERIFIED_AT = new Date('2026-11-26T05:00:00Z');

const SCHEMA = `
create schema sales;
create table public.customers (id serial primary key, name text not null, email text unique);
create table sales.orders (
  id bigserial primary key,
  customer_id int not null references public.customers(id),
  total numeric(10,2) not null,
  note text
);
create index orders_customer_idx on sales.orders(customer_id);
create view sales.order_totals as select customer_id, sum(total) as total from sales.orders group by customer_id;
comment on table public.customers is 'People who buy things';
insert into public.customers(name, email)
  select 'customer ' || g, 'c' || g || '@example.com' from generate_series(1, 200) g;
insert into sales.orders(customer_id, total, note)
  select 1 + (g % 200), (g * 7 % 500) + 0.99, md5(g::text) from generate_series(1, 5000) g;
`;

describe('PostgreSQL dumps from a real server: push, verify, pull, restore (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-pg-dump');
  const { kmsKeyId } = getTestServers().s3;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-pg-dump-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const customDump = join(dir, 'shop.dump');
  const plainDump = join(dir, 'shop.sql.gz');
  let database: string;

  beforeAll(async () => {
    database = await createDatabase('shop');
    await psql(database, SCHEMA);
    await pgDumpCustom(database, customDump);
    await pgDumpPlainGzip(database, plainDump);
  });

  async function push(file: string, source: string): Promise<string> {
    const io = rgw.io({ now: () => TAKEN_AT });
    const code = await runBackupPushCommand(file, { source, kmsKeyId, quiet: true }, io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    return io.stdout[0]!;
  }

  it('verifies both dumps, the custom one entry for entry as pg_restore --list reads it', async () => {
    // Arrange
    const customKey = await push(customDump, 'shop-custom');
    const plainKey = await push(plainDump, 'shop-plain');
    const listed = await pgRestoreList(customDump);
    const lines: string[] = [];

    // Act
    const code = await runBackupVerifyCommand(
      {
        bucket: rgw.bucket,
        kmsKeyArn: kmsKeyId,
        sources: [
          { name: 'shop-custom', format: 'pg-dump', maxAgeHours: 26, minBytes: 1000, maxDropPercent: 50 },
          { name: 'shop-plain', format: 'gzip', maxAgeHours: 26, minBytes: 1000, maxDropPercent: 50 },
        ],
        at: VERIFIED_AT.toISOString(),
        json: true,
      },
      (line) => lines.push(line),
      { s3: rgw.s3 },
    );

    // Assert
    const report = JSON.parse(lines.join('\n')) as VerificationReport;
    expect(report.sources.map((source) => [source.source, source.status, source.key])).toEqual([
      ['shop-custom', 'ok', customKey],
      ['shop-plain', 'ok', plainKey],
    ]);
    expect(code).toBe(EXIT.OK);
    const [custom, plain] = report.sources;
    expect(listed.header).toContain(`;     TOC Entries: ${custom!.content?.entries}`);
    expect(listed.header).toContain(`;     dbname: ${custom!.content?.pgDump?.database}`);
    expect(custom!.content?.pgDump?.database).toBe(database);
    expect(custom!.content?.pgDump?.sample).toEqual(listed.entries.slice(0, 5));
    expect(custom!.content?.pgDump?.dataBlocks).toBe(
      listed.entries.filter((entry) => / TABLE DATA /.test(entry)).length,
    );
    expect(custom!.checks.find((check) => check.name === 'format')?.detail).toMatch(
      new RegExp(
        `^pg_dump 1\\.\\d+-0 custom format of '${database}' \\(PostgreSQL 15\\.\\d+.*\\): ${custom!.content?.entries} TOC entries`,
      ),
    );
    expect(plain!.checks.find((check) => check.name === 'format')?.detail).toMatch(
      /^gzip: \d+ bytes decompress to \d+ bytes$/,
    );
  });

  it('pulls the custom dump back byte-exact, and pg_restore lists and restores it', async () => {
    // Arrange
    const key = await push(customDump, 'shop-pulled');
    const target = join(dir, 'pulled.dump');
    const restored = await createDatabase('restored');
    const io = rgw.io();

    // Act
    const code = await runBackupPullCommand(key, { output: target, quiet: true }, io);
    const listed = await pgRestoreList(target);
    await runPgTool('pg_restore', ['--exit-on-error', '--no-owner', '-d', restored, target]);

    // Assert
    expect(code).toBe(0);
    expect(readFileSync(target).equals(readFileSync(customDump))).toBe(true);
    expect(listed).toEqual(await pgRestoreList(customDump));
    expect(await psql(restored, 'select count(*), sum(total) from sales.orders;')).toBe(
      await psql(database, 'select count(*), sum(total) from sales.orders;'),
    );
  });
});
