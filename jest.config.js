// Jest runs the TypeScript sources as ES modules (got and nock 14 are ESM-first;
// see docs/decisions/001-esm-typescript-jest.md). Four tiers, each a jest project:
//
//   unit         pure functions: no Postgres, no Redis, no servers (npm run test:unit, seconds)
//   integration  the app in-process against the real Postgres and Redis (test/integration,
//                and the reliability suite's matrix and fuzz in test/reliability)
//   e2e          the real processes (API, worker) started as in production
//   slow         the soak run and the browser (Bull Board in Chromium)
//
// `npm test` runs all four; test/unit/test-tiers.test.ts fails when a test file is in no
// tier or in two. Every tier but unit talks to the real Postgres and Redis: its global
// setup migrates a template database once per run, and each jest worker clones it
// (test/support/database.ts).

/** What every tier shares. */
const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/setup-after-env.ts'],
};

/** The tiers that need Postgres: one template database per run, whichever of them run. */
const withDatabase = {
  ...base,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** The tiers, by name: test/unit/test-tiers.test.ts reads their roots. */
export const TIERS = {
  unit: ['<rootDir>/test/unit'],
  integration: ['<rootDir>/test/integration', '<rootDir>/test/reliability'],
  e2e: ['<rootDir>/test/e2e'],
  slow: ['<rootDir>/test/soak', '<rootDir>/test/browser'],
};

/** @type {import('jest').Config} */
export default {
  projects: Object.entries(TIERS).map(([displayName, roots]) => ({
    ...(displayName === 'unit' ? base : withDatabase),
    displayName,
    roots,
  })),
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 30000,
  // A guard, not a fix: knex's migration listing under jest's ESM VM once left a handle
  // jest could not attribute (readiness no longer lists migrations through knex), and a
  // test run must never hang on one (CI has a hard time limit). The processes
  // themselves exit explicitly.
  forceExit: true,
  maxWorkers: 2,
};
