import type { TestProject } from 'vitest/node'
import { ensureBuilt } from '../../testing/app'
import { startStack, type Stack } from '../../testing/stack'

let stack: Stack | undefined

/**
 * The app's production build (see ensureBuilt), then one private redis-server + endpoint for the whole run. Its address reaches the test workers as
 * UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN / REDIS_URL. A missing redis-server fails the
 * run with the install command (never a silent skip).
 */
export async function setup(project: TestProject): Promise<void> {
  // The production build the app and page tests serve, made once before any file runs (a no-op when these
  // sources were built already): inside a file's beforeAll, a minute-long build would outlast its hook timeout.
  await ensureBuilt()
  stack = await startStack()
  Object.assign(process.env, stack.env, { REDIS_ENABLED: 'true', UPSTASH_DISABLE_TELEMETRY: 'true' })
  project.provide('stack', stack.env)
}

export async function teardown(): Promise<void> {
  await stack?.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: Stack['env']
  }
}
