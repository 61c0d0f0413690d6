import type { Redis } from '@upstash/redis'

/**
 * @upstash/ratelimit (since 2.2) starts its Lua scripts with `#!lua flags=allow-key-locking`, a flag
 * only Upstash understands (it then locks just the script's keys instead of the whole database).
 * A real redis-server (the local endpoint, self-hosted Redis) refuses the script outright with
 * "ERR Unexpected flag in script shebang". This wrapper keeps Upstash untouched and, only after a
 * server has refused the flag, runs the same script without it, mapping the library's EVALSHA hash
 * to the stripped script's, so each call is still a single EVALSHA.
 */
const UPSTASH_ONLY_FLAG = 'allow-key-locking'
const REFUSED = /Unexpected flag in script shebang: allow-key-locking/

type Script = ReturnType<Redis['createScript']>

/** The first line of the script without Upstash-only flags (other flags kept). */
export function stripUpstashOnlyFlags(script: string): string {
  return script.replace(/^#!lua flags=([^\n]*)/, (_line, flags: string) => {
    const kept = flags.split(',').map((f) => f.trim()).filter((f) => f && f !== UPSTASH_ONLY_FLAG)
    return kept.length ? `#!lua flags=${kept.join(',')}` : '#!lua'
  })
}

const wrapped = new WeakMap<Redis, Redis>()

/** The client to hand to @upstash/ratelimit: the same client, with the fallback above (one wrapper per client). */
export function acceptUpstashScriptFlags(redis: Redis): Redis {
  let proxy = wrapped.get(redis)
  if (proxy) return proxy
  // Filled only once the server has refused the flag: original script text / hash → stripped script.
  const byScript = new Map<string, Script>()
  const byHash = new Map<string, Script>()

  const evalsha = (hash: string, keys: string[], args: string[]) => {
    const compat = byHash.get(hash)
    return compat ? compat.exec(keys, args) : redis.evalsha(hash, keys, args)
  }
  const evalScript = async (script: string, keys: string[], args: string[]) => {
    const known = byScript.get(script)
    if (known) return known.exec(keys, args)
    try {
      return await redis.eval(script, keys, args)
    } catch (err) {
      if (!(err instanceof Error) || !REFUSED.test(err.message)) throw err
      const compat = byScript.get(script) ?? redis.createScript(stripUpstashOnlyFlags(script))
      byScript.set(script, compat)
      byHash.set(await sha1Hex(script), compat)
      return compat.exec(keys, args)
    }
  }

  proxy = new Proxy(redis, {
    get(target, prop) {
      if (prop === 'evalsha') return evalsha
      if (prop === 'eval') return evalScript
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  wrapped.set(redis, proxy)
  return proxy
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
