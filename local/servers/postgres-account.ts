/**
 * The unprivileged system account a root-run PostgreSQL runs as (it refuses root): which one (`postgres` when it
 * exists, else `nobody`), and the check that it can reach the data directory.
 */
import { statSync } from 'node:fs';
import path from 'node:path';

import { findExecutable, MissingBinaryError, runCommand } from './process';

export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The account to run the server as (this process is root): `name`, else `postgres` if it exists, else `nobody`. */
export async function systemAccount(name: string | undefined): Promise<Account> {
  const candidates = name ? [name] : ['postgres', 'nobody'];
  for (const candidate of candidates) {
    const account = await lookUpAccount(candidate);
    if (account) {
      if (account.uid === 0)
        throw new Error(`system user ${candidate} is root: PostgreSQL refuses to run as root`);
      return account;
    }
  }
  throw new Error(
    `no system user ${candidates.join(' or ')} to run PostgreSQL as (it refuses root): ` +
      'run scripts/install-debian-deps.sh (postgresql-15 creates the postgres user) or pass systemUser',
  );
}

async function lookUpAccount(name: string): Promise<Account | undefined> {
  const getent = findExecutable('getent');
  if (!getent) throw new MissingBinaryError('getent');
  let line: string;
  try {
    line = (await runCommand(getent, ['passwd', name])).trim();
  } catch {
    return undefined;
  }
  const [, , uid, gid] = line.split(':');
  const account = { name, uid: Number(uid), gid: Number(gid) };
  return Number.isInteger(account.uid) && Number.isInteger(account.gid) ? account : undefined;
}

/** Every parent of `dir` must be searchable by the server's account, or initdb fails with a bare EACCES. */
export function assertReachable(dir: string, account: Account): void {
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    const info = statSync(parent);
    const searchable =
      (info.uid === account.uid && (info.mode & 0o100) !== 0) ||
      (info.gid === account.gid && (info.mode & 0o010) !== 0) ||
      (info.mode & 0o001) !== 0;
    if (!searchable) {
      throw new Error(
        `${parent} is not searchable by ${account.name} (uid ${account.uid}), which PostgreSQL runs as: ` +
          `make it searchable (chmod o+x ${parent}) or use another data directory`,
      );
    }
    if (parent === path.dirname(parent)) return;
  }
}
