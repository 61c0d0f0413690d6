/**
 * Smoke test of the Redis layer against the configured database (local endpoint or real Upstash):
 *   npx tsx scripts/test-upstash.ts        (also: npm run smoke)
 * Reads .env / .env.local like Next does. One ✅/❌ line per step with its latency; exits 0 only if all pass.
 * Every key it writes is under a unique smoke prefix and removed at the end.
 */
import { randomBytes } from 'node:crypto'
import { loadEnvConfig } from '@next/env'
import { useLocalEndpointFileIfUnset } from './local-endpoint-file'

type Step = { name: string; run: () => Promise<string | void> }

/** What to check, from the error's shape; never includes the token. */
function hint(err: unknown): string {
  const text = `${(err as Error)?.name ?? ''} ${(err as Error)?.message ?? String(err)} ${String((err as { cause?: unknown })?.cause ?? '')}`
  if (/ConfigError|Invalid Redis configuration/.test(text))
    return 'fix the variable named above in .env.local (see .env.example)'
  if (/Unauthorized|401|WRONGPASS|invalid token/i.test(text))
    return "check UPSTASH_REDIS_REST_TOKEN (or KV_REST_API_TOKEN): the database's REST token, not its password"
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(text))
    return 'check UPSTASH_REDIS_REST_URL (or KV_REST_API_URL): the host name does not resolve'
  if (/ECONNREFUSED|fetch failed|unavailable/i.test(text)) {
    return 'check UPSTASH_REDIS_REST_URL and the network: nothing answers there (local: is `npm run redis:local` running?)'
  }
  if (/timeout|aborted|TimeoutError/i.test(text))
    return 'the database did not answer within REDIS_TIMEOUT_MS: check the network or raise the timeout'
  return 'see the error above'
}

async function main(): Promise<void> {
  loadEnvConfig(process.cwd(), true, { info: () => {}, error: console.error })
  // No Redis configured: the local endpoint of a running `npm run dev`, if any.
  const fromDev = useLocalEndpointFileIfUnset()
  if (fromDev) console.log(`using the local endpoint of npm run dev (${fromDev}, from .data/local-endpoint.env)`)
  // Imported after the env is loaded: the layer reads process.env on first use.
  const { redis, cache, session, queue, sortedSet, hashMap, isRedisAvailable, getConfig } =
    await import('../src/lib/upstash')

  const id = `smoke-${randomBytes(4).toString('hex')}`
  const steps: Step[] = [
    {
      name: 'configuration',
      run: async () => {
        const c = getConfig()
        if (!c.enabled) throw new Error('REDIS_ENABLED=false: nothing to test (set it to true)')
        return `${c.url} (prefix ${c.keyPrefix}, timeout ${c.timeoutMs} ms)`
      },
    },
    {
      name: 'ping',
      run: async () => {
        const pong = await redis.ping()
        if (pong !== 'PONG') throw new Error(`expected PONG, got ${String(pong)}`)
        return pong
      },
    },
    {
      name: 'set/get with expiry',
      run: async () => {
        await redis.set(`${id}:key`, 'Hello Upstash!', { ex: 60 })
        const value = await redis.get<string>(`${id}:key`)
        const ttl = await redis.ttl(`${id}:key`)
        if (value !== 'Hello Upstash!') throw new Error(`read back ${JSON.stringify(value)}`)
        if (ttl <= 0 || ttl > 60) throw new Error(`expected a TTL in 1..60 s, got ${ttl}`)
        return `ttl ${ttl}s`
      },
    },
    {
      name: 'delete',
      run: async () => {
        const removed = await redis.del(`${id}:key`)
        if (removed !== 1 || (await redis.exists(`${id}:key`)) !== 0) throw new Error('key still there after DEL')
      },
    },
    {
      name: 'cache',
      run: async () => {
        await cache.set(`${id}:user`, { name: 'John', role: 'admin' }, 60)
        const user = await cache.get<{ name: string }>(`${id}:user`)
        if (user?.name !== 'John')
          throw new Error(`cache.get returned ${JSON.stringify(user)} (a cache that never answers looks like this)`)
        await cache.del(`${id}:user`)
        if (await cache.exists(`${id}:user`)) throw new Error('cache.del did not remove the entry')
      },
    },
    {
      name: 'session',
      run: async () => {
        await session.set(`${id}-user`, { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' }, 60)
        const data = await session.get(`${id}-user`)
        if ((data as { userId?: string } | null)?.userId !== 'abc')
          throw new Error(`session.get returned ${JSON.stringify(data)}`)
        await session.delete(`${id}-user`)
      },
    },
    {
      name: 'rate limit',
      run: async () => {
        const r = await session.rateLimit(`${id}:api`, 5, 60, { onFailure: 'closed' })
        if (!r.allowed || r.remaining !== 4)
          throw new Error(`expected allowed with 4 remaining, got ${JSON.stringify(r)}`)
        return `${r.remaining}/${r.limit} left`
      },
    },
    {
      name: 'queue',
      run: async () => {
        await queue.push(`${id}-queue`, { to: 'client@example.com', subject: 'Welcome!' })
        const length = await queue.length(`${id}-queue`)
        const task = await queue.pop<{ to: string }>(`${id}-queue`)
        if (length !== 1 || task?.to !== 'client@example.com')
          throw new Error(`push/length/pop gave ${length}, ${JSON.stringify(task)}`)
      },
    },
    {
      name: 'sorted set',
      run: async () => {
        await sortedSet.add(`${id}-activity`, 'dossier-123', 10)
        await sortedSet.increment(`${id}-activity`, 'dossier-123', 5)
        const top = await sortedSet.top(`${id}-activity`, 10)
        await sortedSet.remove(`${id}-activity`, 'dossier-123')
        if (top[0]?.member !== 'dossier-123' || top[0]?.score !== 15)
          throw new Error(`top returned ${JSON.stringify(top)}`)
      },
    },
    {
      name: 'hash map',
      run: async () => {
        await hashMap.set(`${id}-tenant`, { name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 42 })
        const plan = await hashMap.get(`${id}-tenant`, 'plan')
        const all = await hashMap.getAll<{ activeDossiers: number }>(`${id}-tenant`)
        await hashMap.del(`${id}-tenant`)
        if (plan !== 'PREMIUM' || all?.activeDossiers !== 42)
          throw new Error(`read back ${JSON.stringify({ plan, all })}`)
      },
    },
    {
      name: 'isRedisAvailable',
      run: async () => {
        if (!(await isRedisAvailable())) throw new Error('returned false')
      },
    },
  ]

  let failed = 0
  for (const step of steps) {
    const started = performance.now()
    try {
      const detail = await step.run()
      console.log(`✅ ${step.name} (${(performance.now() - started).toFixed(1)} ms)${detail ? `: ${detail}` : ''}`)
    } catch (err) {
      failed++
      console.log(`❌ ${step.name} (${(performance.now() - started).toFixed(1)} ms): ${(err as Error)?.message ?? err}`)
      console.log(`   → ${hint(err)}`)
      // Without configuration or connectivity, the later steps can only repeat the same failure.
      if (step.name === 'configuration' || step.name === 'ping') break
    }
  }
  if (failed === 0) console.log('✅ Upstash Redis works: all checks passed')
  else console.log(`❌ ${failed} check(s) failed`)
  process.exit(failed === 0 ? 0 : 1)
}

main().catch((err) => {
  console.error(`❌ smoke test crashed: ${(err as Error)?.message ?? err}`)
  process.exit(1)
})
