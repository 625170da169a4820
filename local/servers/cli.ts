/**
 * Start, stop and inspect the local test servers by hand.
 *
 *   npx tsx local/servers/cli.ts start|stop|status [rgw|clamd|postgres] [--data-dir DIR]
 *
 * Without a server name, acts on all of them. Files go to DIR/rgw, DIR/clamd and DIR/postgres; DIR defaults to
 * `$STOWAGE_SERVERS_DIR`, else `.stowage/servers` in the repository. Ports come from `STOWAGE_RGW_PORT`,
 * `STOWAGE_RGW_MON_PORT`, `STOWAGE_CLAMD_PORT` and `STOWAGE_POSTGRES_PORT`, else free ports are picked (and
 * printed).
 */
import path from 'node:path';
import { clamdStatus, startClamd, stopClamd } from './clamd';
import { postgresStatus, startPostgres, stopPostgres } from './postgres';
import { rgwStatus, startRgw, stopRgw } from './rgw';

const COMMANDS = ['start', 'stop', 'status'] as const;
const SERVERS = ['rgw', 'clamd', 'postgres'] as const;
type Command = (typeof COMMANDS)[number];
type ServerName = (typeof SERVERS)[number];

const USAGE = 'usage: npx tsx local/servers/cli.ts start|stop|status [rgw|clamd|postgres] [--data-dir DIR]';

interface Args {
  readonly command: Command;
  readonly servers: readonly ServerName[];
  readonly dataDir: string;
}

function parseArgs(argv: readonly string[]): Args {
  let dataDir = process.env.STOWAGE_SERVERS_DIR || path.resolve(__dirname, '..', '..', '.stowage', 'servers');
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data-dir') {
      const value = argv[++i];
      if (!value) throw new UsageError('--data-dir needs a directory');
      dataDir = value;
    } else if (arg.startsWith('--data-dir=')) {
      dataDir = arg.slice('--data-dir='.length);
    } else if (arg === '--help' || arg === '-h') {
      throw new UsageError();
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  const [command, server, ...extra] = positional;
  if (!isOneOf(COMMANDS, command)) throw new UsageError(command ? `unknown command ${command}` : undefined);
  if (server !== undefined && !isOneOf(SERVERS, server)) throw new UsageError(`unknown server ${server}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  return { command, servers: server ? [server] : SERVERS, dataDir: path.resolve(dataDir) };
}

async function main(args: Args): Promise<void> {
  const dirs: Record<ServerName, string> = {
    rgw: path.join(args.dataDir, 'rgw'),
    clamd: path.join(args.dataDir, 'clamd'),
    postgres: path.join(args.dataDir, 'postgres'),
  };
  for (const server of args.servers) {
    const dataDir = dirs[server];
    const started = Date.now();
    switch (args.command) {
      case 'start':
        if (server === 'rgw') {
          const rgw = await startRgw({ dataDir });
          console.log(
            `rgw ${rgw.reused ? 'already running' : `started in ${Date.now() - started} ms`}: ${rgw.endpoint}\n` +
              `  STOWAGE_S3_ENDPOINT=${rgw.endpoint}\n` +
              `  AWS_ACCESS_KEY_ID=${rgw.accessKey}\n` +
              `  AWS_SECRET_ACCESS_KEY=${rgw.secretKey}\n` +
              `  AWS_REGION=${rgw.region}\n` +
              `  SSE-KMS key ids: ${rgw.kmsKeyIds.join(', ')}\n` +
              `  data: ${rgw.dataDir}`,
          );
        } else if (server === 'postgres') {
          const pg = await startPostgres({ dataDir });
          console.log(
            `postgres ${pg.reused ? 'already running' : `started in ${Date.now() - started} ms`}: ` +
              `${pg.host}:${pg.port} (PostgreSQL ${pg.version})\n` +
              `  PGHOST=${pg.host} PGPORT=${pg.port} PGUSER=${pg.user}   (trust authentication, no password)\n` +
              `  data: ${pg.dataDir}`,
          );
        } else {
          const clamd = await startClamd({ dataDir });
          console.log(
            `clamd ${clamd.reused ? 'already running' : `started in ${Date.now() - started} ms`}: ` +
              `${clamd.host}:${clamd.port}\n  data: ${clamd.dataDir}`,
          );
        }
        break;
      case 'stop':
        await { rgw: stopRgw, clamd: stopClamd, postgres: stopPostgres }[server]({ dataDir });
        console.log(`${server} stopped (${Date.now() - started} ms)`);
        break;
      case 'status':
        if (server === 'rgw') {
          const status = await rgwStatus({ dataDir });
          console.log(
            status.server
              ? `rgw running: ${status.server.endpoint} (pids ${status.pids.join(', ')})`
              : `rgw not running${status.pids.length ? ` (stray pids ${status.pids.join(', ')}: run stop)` : ''}`,
          );
        } else if (server === 'postgres') {
          const status = await postgresStatus({ dataDir });
          console.log(
            status.server
              ? `postgres running: ${status.server.host}:${status.server.port} (pid ${status.pid})`
              : `postgres not running${status.pid ? ` (stray pid ${status.pid}: run stop)` : ''}`,
          );
        } else {
          const status = await clamdStatus({ dataDir });
          console.log(
            status.server
              ? `clamd running: ${status.server.host}:${status.server.port} (pid ${status.pid})`
              : `clamd not running${status.pid ? ` (stray pid ${status.pid}: run stop)` : ''}`,
          );
        }
        break;
    }
  }
}

class UsageError extends Error {
  constructor(problem?: string) {
    super(problem ? `${problem}\n${USAGE}` : USAGE);
    this.name = 'UsageError';
  }
}

function isOneOf<T extends string>(values: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (values as readonly string[]).includes(value);
}

function run(): void {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
    return;
  }
  main(args).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

run();
