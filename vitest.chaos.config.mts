import { defineConfig } from 'vitest/config'
import base from './vitest.config.mts'

/**
 * `npm run test:chaos`: the fault-injection tests (tests/chaos), one file at a time so that the
 * latencies they assert are the faults' and not other test files' load. CHAOS_FULL=0 for the short run.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/chaos/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
  },
})
