/**
 * The local PostgreSQL server of the test run: reused (not restarted) from the same data directory, answering on
 * 127.0.0.1 and on its unix socket in the data directory.
 */
import { startPostgres } from '../../../local/servers/postgres';
import { psql, runPgTool } from '../../support/integration/postgres-tools';
import { getTestServers } from '../../support/integration/servers';

describe('local PostgreSQL (real server)', () => {
  const servers = getTestServers();

  it('is reused, not restarted, when started again from the same data directory', async () => {
    // Act
    const again = await startPostgres({ dataDir: servers.postgresDataDir });

    // Assert
    expect(again).toMatchObject({ reused: true, host: '127.0.0.1', port: servers.postgres.port });
    expect(again.pid).toBeGreaterThan(0);
  });

  it('answers queries over TCP on 127.0.0.1 and over its unix socket, with durability off', async () => {
    // Arrange
    const socketDir = (await startPostgres({ dataDir: servers.postgresDataDir })).socketDir;

    // Act
    const overTcp = await psql('postgres', 'show listen_addresses; show fsync;');
    const overSocket = await runPgTool('psql', [
      '-X',
      '-A',
      '-t',
      '-h',
      socketDir,
      '-d',
      'postgres',
      '-c',
      'select 42',
    ]);

    // Assert
    expect(overTcp.trim().split('\n')).toEqual(['127.0.0.1', 'off']);
    expect(overSocket.trim()).toBe('42');
  });
});
