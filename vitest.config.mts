import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  test: {
    include: ['tests/**/*.test.ts'],
    // The chaos tests measure latencies under faults: they run on their own, one file at a time
    // (vitest.chaos.config.mts: `npm run test:chaos`, which CI runs too), not beside 50 other files.
    exclude: ['tests/chaos/**', '**/node_modules/**'],
    // Starts a private redis-server and the local endpoint on free ports for the whole run.
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 20_000,
    // Each test file runs in a fresh process: files set process.env (key prefix, database) before importing
    // the process-wide helpers, and must never see another file's. Explicit, since they rely on it.
    pool: 'forks',
    isolate: true,
    // A hook that starts a server (next start, redis-server) must survive a loaded 2-core machine.
    hookTimeout: 60_000,
  },
})
