/** One `npm test`: unit (pure, fakes), integration (Azurite), e2e (the local host as `npm start` runs it). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 30000,
  // Suites spend much of their time waiting on other processes (the local host, Azurite, the Graph emulator,
  // Chromium): three at once keep two cores busy (a clean-clone run: 366 s of Jest against 544 s with two).
  maxWorkers: 3,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.js'],
};
