import {
  CEPH_BINARIES,
  INSTALL_COMMAND,
  missingExecutables,
  preflight,
  PreflightError,
} from '../../../local/runtime/local-preflight';

/** A PATH where only `present` exist. */
function pathWith(present: readonly string[]): (name: string) => string | undefined {
  return (name) => (present.includes(name) ? `/usr/bin/${name}` : undefined);
}

describe('missingExecutables', () => {
  it('needs the Ceph binaries and clamd by default, nothing with --s3-endpoint and --no-clamav', () => {
    // Act / Assert
    expect(missingExecutables({ ceph: true, clamd: true }, pathWith([]))).toEqual([
      ...CEPH_BINARIES,
      'clamd',
    ]);
    expect(missingExecutables({ ceph: false, clamd: false }, pathWith([]))).toEqual([]);
    expect(missingExecutables({ ceph: true, clamd: false }, pathWith(['ceph-mon', 'ceph']))).toEqual([
      'ceph-osd',
      'radosgw',
      'radosgw-admin',
      'monmaptool',
    ]);
  });
});

describe('preflight', () => {
  it('does nothing when everything is installed', async () => {
    // Arrange
    const install = jest.fn();
    const lines: string[] = [];

    // Act
    await preflight({
      ceph: true,
      clamd: true,
      write: (line) => lines.push(line),
      find: pathWith([...CEPH_BINARIES, 'clamd']),
      isRoot: true,
      install,
    });

    // Assert
    expect(install).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('not root: names what is missing and the one command to run, exit code 2, installs nothing', async () => {
    // Arrange
    const install = jest.fn();

    // Act
    const result = preflight({
      ceph: false,
      clamd: true,
      write: () => undefined,
      find: pathWith([]),
      isRoot: false,
      install,
    });

    // Assert
    await expect(result).rejects.toBeInstanceOf(PreflightError);
    await expect(result).rejects.toMatchObject({ exitCode: 2 });
    await expect(result).rejects.toThrow(`local mode needs clamd, which is not installed.`);
    await expect(result).rejects.toThrow(`\n  ${INSTALL_COMMAND}\n`);
    expect(install).not.toHaveBeenCalled();
  });

  it('root: says what it installs, runs the installer, and checks again', async () => {
    // Arrange
    const installed: string[] = [];
    const lines: string[] = [];

    // Act
    await preflight({
      ceph: true,
      clamd: false,
      write: (line) => lines.push(line),
      find: pathWith(installed),
      isRoot: true,
      install: async () => {
        installed.push(...CEPH_BINARIES);
      },
    });

    // Assert
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`missing ${CEPH_BINARIES.join(', ')}: installing`);
    expect(lines[0]).toContain('scripts/install-debian-deps.sh');
  });

  it('root: fails when the installer left something missing', async () => {
    // Act / Assert
    await expect(
      preflight({
        ceph: false,
        clamd: true,
        write: () => undefined,
        find: pathWith([]),
        isRoot: true,
        install: async () => undefined,
      }),
    ).rejects.toThrow('clamd still not found after scripts/install-debian-deps.sh');
  });

  it('root: passes the installer failure on', async () => {
    // Act / Assert
    await expect(
      preflight({
        ceph: false,
        clamd: true,
        write: () => undefined,
        find: pathWith([]),
        isRoot: true,
        install: async () => {
          throw new PreflightError('scripts/install-debian-deps.sh failed (exit code 100)');
        },
      }),
    ).rejects.toThrow('exit code 100');
  });
});
