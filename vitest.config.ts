import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/build.ts"],
    // One seed for every property test (FC_SEED=random explores).
    setupFiles: ["test/helpers/fast-check-seed.ts"],
    // Solver and linear-algebra tests are CPU-bound; two cores, two workers.
    maxWorkers: 2,
    // Safety limits only (no test asserts speed): generous so a loaded CI machine cannot trip them.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
