/**
 * Integration tests: `npx jest -c jest.integration.config.js`.
 * They run against real servers on 127.0.0.1 (Ceph RGW for S3, ClamAV's clamd, PostgreSQL 15), started once per run by
 * test/support/integration/global-setup.ts (install them with scripts/install-debian-deps.sh).
 * Set STOWAGE_TEST_SERVERS_DIR to reuse servers already running from that directory and leave them running.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.integration.test.ts'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only; type checking is its own step (`npm run typecheck`).
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/support/integration/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/integration/global-teardown.ts',
  testTimeout: 60000,
};
