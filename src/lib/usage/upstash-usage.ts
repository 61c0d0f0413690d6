/**
 * Upstash commands used today, counted nearly for free.
 *
 * Each process counts, in memory, the commands its own Upstash REST requests carry (a request to
 * the configured URL: 1 command, or one per entry of a /pipeline or /multi-exec body; counted once
 * an answer came back, so a connection that never reached Upstash is not counted). It does so by
 * wrapping `globalThis.fetch`, which @upstash/redis calls for every request: no change to the Redis
 * layer. Once a minute, and only when the count is not zero, it adds it to a shared hash
 * (`<prefix>:usage:upstash-commands`, one field per UTC day) with ONE HINCRBY, sent on its own client
 * and left out of the count. So: at most one extra command per minute per running instance, none
 * while the instance makes no Upstash call, and the flush never keeps itself alive.
 *
 * A script (EVAL/EVALSHA) counts here as 1; Upstash may bill the commands it runs as well, so the
 * figure is a floor. Up to one minute of counts is lost when a process is killed.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** The free tier's daily budget (the seed's figure). */
export const FREE_TIER_DAILY_COMMANDS = 10_000
export const DEFAULT_FLUSH_SECONDS = 60
/** Days of history kept in the hash (older fields are removed when /status reads it). */
export const KEEP_DAYS = 31

export const usageKey = (keyPrefix: string) => `${keyPrefix}:usage:upstash-commands`
/** Upstash's daily quota follows UTC days. */
export const utcDay = (d: Date = new Date()) => d.toISOString().slice(0, 10)

/** How many commands one Upstash REST request body carries. */
export function commandsInRequest(url: string, body: unknown): number {
  if (/\/(pipeline|multi-exec)\/?$/.test(url)) {
    try {
      const parsed = JSON.parse(String(body)) as unknown
      return Array.isArray(parsed) ? Math.max(parsed.length, 1) : 1
    } catch {
      return 1
    }
  }
  return 1
}

export interface UsageCounterOptions {
  /** The Upstash REST URL: only requests to it are counted. */
  baseUrl: string
  /** Adds `count` to day `day` in the shared hash (one command). */
  send: (day: string, count: number) => Promise<unknown>
  /** Default 60 000; the flush happens at most this often. */
  flushEveryMs?: number
  now?: () => Date
  log?: (message: string) => void
}

export interface UsageCounter {
  /** Commands counted here and not flushed yet, for `day` (default today). */
  pending(day?: string): number
  /** Sends at most one day's pending count (the oldest): one command, or none when there is nothing. */
  flush(): Promise<void>
  /** Stops the timer and gives fetch back (tests). */
  stop(): void
}

const uncounted = new AsyncLocalStorage<true>()
const INSTALLED = Symbol.for('iapm.upstashUsageCounter')
type GlobalWithCounter = typeof globalThis & { [INSTALLED]?: UsageCounter }

/** Wraps fetch once per process and starts the flush timer; a second call returns the first counter. */
export function installUsageCounter(options: UsageCounterOptions): UsageCounter {
  const g = globalThis as GlobalWithCounter
  if (g[INSTALLED]) return g[INSTALLED]
  const { send, flushEveryMs = DEFAULT_FLUSH_SECONDS * 1000, now = () => new Date(), log = console.warn } = options
  const base = options.baseUrl.replace(/\/$/, '')
  const counts = new Map<string, number>()
  const add = (day: string, n: number) => counts.set(day, (counts.get(day) ?? 0) + n)

  const original = globalThis.fetch
  const counted: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const ours = (url === base || url.startsWith(`${base}/`)) && !uncounted.getStore()
    const response = await original(input, init)
    // 401/403: refused before running anything, not billed.
    if (ours && response.status !== 401 && response.status !== 403) add(utcDay(now()), commandsInRequest(url, init?.body))
    return response
  }
  // Keeps the markers frameworks put on fetch (e.g. Next's `__nextPatched`), so nobody wraps it again.
  Object.assign(counted, original)
  globalThis.fetch = counted

  let flushing = false
  const counter: UsageCounter = {
    pending: (day = utcDay(now())) => counts.get(day) ?? 0,
    async flush() {
      if (flushing) return
      const oldest = [...counts.keys()].sort()[0]
      if (!oldest) return
      const n = counts.get(oldest)!
      counts.delete(oldest)
      flushing = true
      try {
        await uncounted.run(true, () => send(oldest, n))
      } catch (err) {
        add(oldest, n) // next minute
        log(`[usage] Upstash command count not saved (${(err as Error).message}); retrying in a minute`)
      } finally {
        flushing = false
      }
    },
    stop() {
      clearInterval(timer)
      if (globalThis.fetch === counted) globalThis.fetch = original
      if (g[INSTALLED] === counter) delete g[INSTALLED]
    },
  }
  const timer = setInterval(() => void counter.flush(), flushEveryMs)
  timer.unref()
  g[INSTALLED] = counter
  return counter
}

/** This process's counter, when installed (the app server and the worker install it). */
export function usageCounter(): UsageCounter | undefined {
  return (globalThis as GlobalWithCounter)[INSTALLED]
}

/**
 * Installs the counter on the app's Redis configuration: UPSTASH_USAGE_FLUSH_SECONDS (default 60;
 * 0 = do not count). Nothing when Redis is disabled or not configured. Never throws.
 */
export async function startUsageCounter(env: Record<string, string | undefined> = process.env): Promise<UsageCounter | undefined> {
  try {
    const raw = env.UPSTASH_USAGE_FLUSH_SECONDS?.trim()
    const seconds = raw ? Number(raw) : DEFAULT_FLUSH_SECONDS
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
      console.warn(`[usage] UPSTASH_USAGE_FLUSH_SECONDS must be a whole number of seconds from 0 to 3600 (got "${raw}"); using ${DEFAULT_FLUSH_SECONDS}`)
    }
    const flushSeconds = Number.isInteger(seconds) && seconds >= 0 && seconds <= 3600 ? seconds : DEFAULT_FLUSH_SECONDS
    if (flushSeconds === 0) return undefined
    const { getConfig } = await import('@/lib/redis/config')
    const config = getConfig()
    if (!config.enabled || !config.url || !config.token) return undefined
    const { createRedisClient } = await import('@/lib/redis/client')
    let client: ReturnType<typeof createRedisClient> | undefined
    const key = usageKey(config.keyPrefix)
    return installUsageCounter({
      baseUrl: config.url,
      flushEveryMs: flushSeconds * 1000,
      send: (day, n) => (client ??= createRedisClient(config)).hincrby(key, day, n),
    })
  } catch (err) {
    console.warn(`[usage] Upstash command counting off: ${(err as Error).message}`)
    return undefined
  }
}

export interface UsageToday {
  day: string
  /** Saved by every instance, plus this one's pending count. */
  used: number
  budget: number
  /** used extrapolated to the whole UTC day at today's average rate. */
  projected: number
  /** Share of the UTC day elapsed, 0..1. */
  dayElapsed: number
  /** Last days (oldest first), for the history. */
  history: { day: string; used: number }[]
}

/**
 * Today's usage for /status: 1 command (HGETALL of the small hash), plus an HDEL of days older
 * than KEEP_DAYS when there are any. Throws when Redis cannot be reached.
 */
export async function readUsage(now: Date = new Date()): Promise<UsageToday> {
  const { getConfig, redis } = await import('@/lib/upstash')
  const key = usageKey(getConfig().keyPrefix)
  const all = ((await redis.hgetall<Record<string, number | string>>(key)) ?? {}) as Record<string, number | string>
  const day = utcDay(now)
  const cutoff = utcDay(new Date(now.getTime() - KEEP_DAYS * 86_400_000))
  const stale = Object.keys(all).filter((d) => d < cutoff)
  // Housekeeping, not waited for: the page's answer needs only the HGETALL.
  if (stale.length > 0) void redis.hdel(key, ...stale).catch(() => 0)
  const used = Number(all[day] ?? 0) + (usageCounter()?.pending(day) ?? 0)
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const dayElapsed = Math.min(1, Math.max(0, (now.getTime() - midnight) / 86_400_000))
  // Early in the day one busy minute would project absurdly: assume at least an hour has passed.
  const projected = Math.round(used / Math.max(dayElapsed, 1 / 24))
  const history = Object.entries(all)
    .filter(([d]) => d >= cutoff && d < day)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(-7)
    .map(([d, n]) => ({ day: d, used: Number(n) }))
  return { day, used, budget: FREE_TIER_DAILY_COMMANDS, projected, dayElapsed, history }
}
