/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/.cache/"],
  // Type checking runs once in `npm test` (tsc --noEmit); ts-jest only transpiles.
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  testTimeout: 120000,
  // The real-engine suites need the pinned Pulumi CLI: built once here, before any suite.
  globalSetup: "<rootDir>/tests/globalSetup.ts",
};
