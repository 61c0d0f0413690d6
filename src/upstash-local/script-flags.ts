import { createHash } from 'node:crypto'
import type { Command } from './redis-connections'

/**
 * Upstash accepts a Lua shebang flag that open-source Redis refuses: `#!lua flags=allow-key-locking`
 * (it lets Upstash lock only the script's keys). @upstash/ratelimit ≥ 2.2 puts it on every script,
 * and redis-server answers "ERR Unexpected flag in script shebang". To be indistinguishable from
 * Upstash, the endpoint strips that flag before Redis sees the script, and translates between the
 * SHA the client computed (of the script it sent) and the SHA Redis knows (of the stripped script),
 * so EVALSHA keeps working: one command per call, as on Upstash.
 */
const UPSTASH_ONLY_FLAGS = new Set(['allow-key-locking'])
const SHEBANG = /^#!lua flags=([^\n]*)/

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

/** The script without Upstash-only flags, or undefined when it has none. */
export function stripUpstashFlags(script: string): string | undefined {
  const m = SHEBANG.exec(script)
  if (!m) return undefined
  const flags = m[1]!
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
  const kept = flags.filter((f) => !UPSTASH_ONLY_FLAGS.has(f))
  if (kept.length === flags.length) return undefined
  return script.replace(SHEBANG, kept.length ? `#!lua flags=${kept.join(',')}` : '#!lua')
}

/** Rewrites script commands for Redis; remembers client SHA → Redis SHA (bounded: scripts are few). */
export class ScriptFlagRewriter {
  private readonly toRedis = new Map<string, string>()

  private learn(script: string): { stripped: string; clientSha: string } | undefined {
    const stripped = stripUpstashFlags(script)
    if (stripped === undefined) return undefined
    const clientSha = sha1(script)
    if (this.toRedis.size > 10_000) this.toRedis.clear()
    this.toRedis.set(clientSha, sha1(stripped))
    return { stripped, clientSha }
  }

  private redisSha(sha: Command[number] | undefined): string | undefined {
    return typeof sha === 'string' ? this.toRedis.get(sha.toLowerCase()) : undefined
  }

  /**
   * Rewrites `args` in place when it is EVAL/EVALSHA/SCRIPT LOAD/SCRIPT EXISTS of a flagged script.
   * Returns the reply to give instead of Redis's (the client's SHA for SCRIPT LOAD), if any.
   */
  rewrite(args: Command): string | undefined {
    const name = args[0]
    // Cheap first-letter test: almost every command is neither EVAL* nor SCRIPT.
    if (typeof name !== 'string' || !/^[es]/i.test(name)) return undefined
    const upper = name.toUpperCase()
    if (upper === 'EVAL' || upper === 'EVAL_RO') {
      const learned = typeof args[1] === 'string' ? this.learn(args[1]) : undefined
      if (learned) args[1] = learned.stripped
    } else if (upper === 'EVALSHA' || upper === 'EVALSHA_RO') {
      const sha = this.redisSha(args[1])
      if (sha) args[1] = sha
    } else if (upper === 'SCRIPT' && typeof args[1] === 'string') {
      const sub = args[1].toUpperCase()
      if (sub === 'LOAD' && typeof args[2] === 'string') {
        const learned = this.learn(args[2])
        if (learned) {
          args[2] = learned.stripped
          return learned.clientSha
        }
      } else if (sub === 'EXISTS') {
        for (let i = 2; i < args.length; i++) args[i] = this.redisSha(args[i]) ?? args[i]!
      }
    }
    return undefined
  }
}
