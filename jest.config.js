/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Tests against real servers (Ceph RGW, clamd) run through jest.integration.config.js.
  testPathIgnorePatterns: ['/node_modules/', '\\.integration\\.test\\.ts$'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only; type checking is its own step (`npm run typecheck`).
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
  // Removes the cloud assembly directories the test file's apps synthesized into.
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-cleanup.ts'],
  testTimeout: 60000,
};
