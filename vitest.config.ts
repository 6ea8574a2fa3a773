import { defineConfig } from "vitest/config";

/**
 * Two tiers. `unit`: tests of pure code (no process, port, database or
 * browser; a fixture file read at most), a few seconds in all: run them while
 * editing (`npm run test:unit`). `integration`: everything else, with the real
 * parts (spawned CLI, SQLite files, TLS, SDK clients, Chromium); `npm test`
 * runs both. Tests mirror `src/` where they test one module (`test/core/search`
 * tests `src/core/search`).
 */
const UNIT = [
  "test/core/**/*.test.ts",
  "test/files/**/*.test.ts",
  "test/cli/config.test.ts",
  "test/cli/catalog.test.ts",
  "test/cli/snippet.test.ts",
  "test/search-quality/locomo-data.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          exclude: UNIT,
          // Integration tests spawn processes and bind ports; two cores here.
          pool: "forks",
          globalSetup: ["test/support/global-setup.ts"],
        },
      },
    ],
  },
});
