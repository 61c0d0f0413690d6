import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  test: {
    include: ['tests/**/*.test.ts'],
    // Starts a private redis-server and the local endpoint on free ports for the whole run.
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 20_000,
    // Each test file runs in a fresh process: files set process.env (key prefix, database) before importing
    // the process-wide helpers, and must never see another file's. Explicit, since they rely on it.
    pool: 'forks',
    isolate: true,
    hookTimeout: 30_000,
  },
})
