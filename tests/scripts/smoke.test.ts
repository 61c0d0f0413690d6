import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { freePort } from '@/upstash-local'
import { uniquePrefix } from '../../testing/stack'

/**
 * `npx tsx scripts/test-upstash.ts` as a user runs it. It runs from an empty folder so a
 * developer's own .env.local cannot leak into the test; only the env given here counts.
 */
const root = path.resolve(__dirname, '../..')
const emptyDir = mkdtempSync(path.join(tmpdir(), 'smoke-'))

function smoke(env: Record<string, string>) {
  const started = performance.now()
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(UPSTASH_|REDIS_)/.test(k)))
  const run = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/tsx/dist/cli.mjs'),
      '--tsconfig',
      path.join(root, 'tsconfig.json'),
      path.join(root, 'scripts/test-upstash.ts'),
    ],
    { cwd: emptyDir, env: { ...clean, ...env } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 30_000 },
  )
  return { code: run.status, out: `${run.stdout}${run.stderr}`, ms: performance.now() - started }
}

describe('scripts/test-upstash.ts', () => {
  const stack = inject('stack')

  it('passes every step against a working endpoint and exits 0', () => {
    const r = smoke({ ...stack, REDIS_KEY_PREFIX: uniquePrefix('smoke') })
    expect(r.out).not.toContain('❌')
    for (const step of [
      'ping',
      'set/get with expiry',
      'delete',
      'cache',
      'session',
      'rate limit',
      'queue',
      'sorted set',
      'hash map',
      'isRedisAvailable',
    ]) {
      expect(r.out).toMatch(new RegExp(`✅ ${step.replace('/', '\\/')} \\(\\d+\\.\\d ms\\)`))
    }
    expect(r.code).toBe(0)
  })

  it('exits non-zero on a wrong token, points at the token, and never prints it', () => {
    const token = 'wrong-token-7f3a9c'
    const r = smoke({ ...stack, UPSTASH_REDIS_REST_TOKEN: token })
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/❌ ping/)
    expect(r.out).toMatch(/check UPSTASH_REDIS_REST_TOKEN/)
    expect(r.out).not.toContain(token)
    expect(r.out).not.toContain(stack.UPSTASH_REDIS_REST_TOKEN)
  })

  it('exits non-zero quickly when nothing answers at the URL, pointing at the URL', async () => {
    const port = await freePort()
    const r = smoke({ ...stack, UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${port}` })
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/❌ ping/)
    expect(r.out).toMatch(/check UPSTASH_REDIS_REST_URL/)
    expect(r.out).not.toContain(stack.UPSTASH_REDIS_REST_TOKEN)
  })

  it('names the missing variable when the configuration is incomplete', () => {
    const r = smoke({ UPSTASH_REDIS_REST_TOKEN: 'x' })
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/❌ configuration/)
    expect(r.out).toMatch(/UPSTASH_REDIS_REST_URL is required/)
  })
})
