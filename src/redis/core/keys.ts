/** The helpers that own keys. Each gets its own namespace so they never collide. */
export type Helper = 'cache' | 'cache-ns' | 'session' | 'session-owner' | 'ratelimit' | 'queue' | 'zset' | 'hash'

/** Builds every key of the layer for one prefix (REDIS_KEY_PREFIX). */
export interface Keys {
  /** `<prefix>:<helper>:<name>`: the prefix keeps several apps apart on one database. */
  key(helper: Helper, name: string): string
  /**
   * Keys that one script touches together, `<prefix>:<helper>:{<name>}:<part>`: the shared `{…}`
   * hash tag puts them in one cluster slot, so multi-key Lua scripts stay valid on a cluster.
   */
  slotKeys<const P extends readonly string[]>(helper: Helper, name: string, parts: P): { [K in keyof P]: string }
  /** The rate limiter's prefix (`<prefix>:ratelimit`); it appends `:<window>s:{<identifier>}:<bucket>` (rate-limit.ts). */
  readonly rateLimitPrefix: string
}

/** The one place keys are built. */
export function createKeys(prefix: string): Keys {
  return {
    key: (helper, name) => `${prefix}:${helper}:${name}`,
    slotKeys: (helper, name, parts) => {
      const base = `${prefix}:${helper}:{${name}}`
      return parts.map((p) => `${base}:${p}`) as never
    },
    rateLimitPrefix: `${prefix}:ratelimit`,
  }
}
