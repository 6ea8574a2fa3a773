import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn processes and bind ports; two cores here.
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
  },
});
