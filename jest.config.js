// Jest runs the TypeScript sources as ES modules (got and nock 14 are ESM-first;
// see docs/decisions/001-esm-typescript-jest.md). Every test talks to the real
// Postgres and Redis: globalSetup migrates a template database once, and each
// jest worker clones it (test/support/database.ts).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/setup-after-env.ts'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 30000,
  // A guard, not a fix: knex's migration listing under jest's ESM VM once left a handle
  // jest could not attribute (readiness no longer lists migrations through knex), and a
  // test run must never hang on one (CI has a hard time limit). The processes
  // themselves exit explicitly.
  forceExit: true,
  maxWorkers: 2,
};
