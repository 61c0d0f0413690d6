/**
 * Upstash commands billed this month, counted as Upstash bills them, nearly for free.
 *
 * Each process counts, in memory, the commands its own Upstash REST requests carry (a request to
 * the configured URL: 1 command, or one per entry of a /pipeline or /multi-exec body; counted once
 * an answer came back, so a connection that never reached Upstash is not counted) by wrapping
 * `globalThis.fetch`, which @upstash/redis calls for every request. Upstash also bills every command a
 * Lua script runs: the project's scripts count theirs and report them (the Redis layer's onScriptCommands).
 *
 * The counts are saved into a shared hash (`<prefix>:usage:upstash-commands`, one field per UTC day)
 * with ONE HINCRBY per flush, which adds 1 for itself (it is billed too) and is not counted otherwise.
 * A flush happens at most every UPSTASH_USAGE_FLUSH_SECONDS and only when something is pending: at the
 * end of a request (Next's after(): serverless instances are frozen between requests and never fire a
 * timer), and by a timer in long-running processes (the worker, `npm start`) for what the last request
 * left. Never a read on the write path: an idle cron run costs its own commands + that one HINCRBY.
 * Up to one flush interval of counts is lost when a process is killed (or an instance is dropped).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { after } from 'next/server'
import { onScriptCommands } from '@/lib/upstash'
import { DEFAULT_FLUSH_SECONDS, parseUsageConfig, UsageConfigError, type UsageConfig } from './config'

export {
  DEFAULT_FLUSH_SECONDS,
  DEFAULT_MONTHLY_COMMAND_LIMIT,
  parseUsageConfig,
  UsageConfigError,
  type UsageConfig,
} from './config'

/** Days shown in the daily history on /status (today included). */
export const HISTORY_DAYS = 14

export const usageKey = (keyPrefix: string) => `${keyPrefix}:usage:upstash-commands`
/** Upstash's counters follow UTC: days, and months (the quota resets on the 1st, 00:00 UTC). */
export const utcDay = (d: Date = new Date()) => d.toISOString().slice(0, 10)
export const utcMonth = (d: Date = new Date()) => d.toISOString().slice(0, 7)

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
  /** Adds `count` to day `day` in the shared hash (one command: HINCRBY). */
  send: (day: string, count: number) => Promise<unknown>
  /** Default 60 000: pending counts are saved at most this often. */
  flushEveryMs?: number
  /** Whether a timer also flushes (default true); without it only the end of requests does. */
  timer?: boolean
  now?: () => Date
  log?: (message: string) => void
}

export interface UsageCounter {
  /** Commands counted here and not saved yet, for `day` (default today). */
  pending(day?: string): number
  /** Something is pending and the last flush (or the start) is at least one flush interval old. */
  due(): boolean
  /**
   * Saves the oldest day's pending count + 1 (the HINCRBY itself): one command, none when nothing is
   * pending or a flush is already under way. A failed flush keeps the count for the next one.
   */
  flush(): Promise<void>
  /** flush() when due(), else nothing. */
  flushIfDue(): Promise<void>
  /**
   * When due, a flushIfDue() once the request scope this runs in has answered (Next's after(): the
   * proxy's scope ends before the route runs, a route's or a page's at its end). Outside a request
   * scope, nothing (the timer, or the next request, will).
   */
  scheduleFlush(): void
  /** Stops the timer, gives fetch back and stops listening to scripts (tests). */
  stop(): void
}

const uncounted = new AsyncLocalStorage<true>()
// On globalThis: Next may load this module more than once (instrumentation, the app's bundles).
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
  // Never flushed: due at once, so a short-lived instance saves its first request's count.
  let lastFlushAt = -Infinity
  let flushing = false

  const original = globalThis.fetch
  const counted: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const ours = (url === base || url.startsWith(`${base}/`)) && !uncounted.getStore()
    const response = await original(input, init)
    // 401/403: refused before running anything, not billed.
    if (ours && response.status !== 401 && response.status !== 403) {
      add(utcDay(now()), commandsInRequest(url, init?.body))
      counter.scheduleFlush()
    }
    return response
  }
  // Keeps the markers frameworks put on fetch (e.g. Next's `__nextPatched`), so nobody wraps it again.
  Object.assign(counted, original)
  globalThis.fetch = counted
  // A script's EVAL/EVALSHA was counted by its request; the commands it ran inside arrive here.
  onScriptCommands((n) => add(utcDay(now()), n))

  const counter: UsageCounter = {
    pending: (day = utcDay(now())) => counts.get(day) ?? 0,
    due: () => counts.size > 0 && !flushing && now().getTime() - lastFlushAt >= flushEveryMs,
    async flush() {
      if (flushing) return
      const oldest = [...counts.keys()].sort()[0]
      if (!oldest) return
      const n = counts.get(oldest)!
      counts.delete(oldest)
      flushing = true
      lastFlushAt = now().getTime()
      try {
        // +1: Upstash bills this HINCRBY too; it is never counted by the fetch wrapper (uncounted).
        await uncounted.run(true, () => send(oldest, n + 1))
      } catch (err) {
        // Kept for the next flush (an HINCRBY that reached Redis but whose answer was lost is then counted twice).
        add(oldest, n)
        log(`[usage] Upstash command count not saved (${(err as Error).message}); retrying at the next flush`)
      } finally {
        flushing = false
      }
    },
    flushIfDue: () => (counter.due() ? counter.flush() : Promise.resolve()),
    scheduleFlush() {
      if (!counter.due()) return
      try {
        // Several requests may each queue one while due: the first to run flushes, the others find it not due.
        after(() => counter.flushIfDue())
      } catch {
        // not inside a request scope
      }
    },
    stop() {
      clearInterval(timer)
      if (globalThis.fetch === counted) globalThis.fetch = original
      onScriptCommands(undefined)
      if (g[INSTALLED] === counter) delete g[INSTALLED]
    },
  }
  // Checks a few times per interval (free: no command unless due), so a flush is never much later than due.
  const timer =
    options.timer === false
      ? undefined
      : setInterval(() => void counter.flushIfDue(), Math.max(250, Math.floor(flushEveryMs / 4)))
  timer?.unref()
  g[INSTALLED] = counter
  return counter
}

/** This process's counter, when installed (the app server and the worker install it). */
export function usageCounter(): UsageCounter | undefined {
  return (globalThis as GlobalWithCounter)[INSTALLED]
}

/**
 * For the proxy, once per request: saves the pending count after the answer when it is due (more
 * than UPSTASH_USAGE_FLUSH_SECONDS since the last flush, and something pending). At most one HINCRBY,
 * nothing when idle; no-op without a counter or outside a request scope.
 */
export function scheduleUsageFlush(): void {
  usageCounter()?.scheduleFlush()
}

/**
 * Installs the counter on the app's Redis configuration (UPSTASH_USAGE_FLUSH_SECONDS, 0 = do not count;
 * UPSTASH_USAGE_FLUSH_TIMER). Nothing when Redis is disabled or not configured. Never throws: a wrong
 * setting is logged naming the variable, and its default used (/status shows the error too).
 * `options.timer` overrides the setting (the worker, which serves no request, always needs it).
 */
export async function startUsageCounter(
  env: Record<string, string | undefined> = process.env,
  options: { timer?: boolean } = {},
): Promise<UsageCounter | undefined> {
  try {
    let settings: UsageConfig
    try {
      settings = parseUsageConfig(env)
    } catch (err) {
      if (!(err instanceof UsageConfigError)) throw err
      console.error(`[usage] ${err.message}; using the default instead`)
      settings = parseUsageConfig(Object.fromEntries(Object.entries(env).filter(([k]) => !err.variables.includes(k))))
    }
    if (settings.flushSeconds === 0) return undefined
    const { createRedisClient, getConfig } = await import('@/lib/upstash')
    const config = getConfig()
    if (!config.enabled || !config.url || !config.token) return undefined
    let client: ReturnType<typeof createRedisClient> | undefined
    const key = usageKey(config.keyPrefix)
    return installUsageCounter({
      baseUrl: config.url,
      flushEveryMs: settings.flushSeconds * 1000,
      timer: options.timer ?? settings.flushTimer,
      send: (day, n) => (client ??= createRedisClient(config)).hincrby(key, day, n),
    })
  } catch (err) {
    console.warn(`[usage] Upstash command counting off: ${(err as Error).message}`)
    return undefined
  }
}

export interface UsageReport {
  /** The UTC month, "2026-11". */
  month: string
  /** Today, UTC, "2026-11-26". */
  day: string
  /** Billed commands this UTC month: what every instance saved, plus this one's pending count. */
  monthUsed: number
  /** UPSTASH_MONTHLY_COMMAND_LIMIT. */
  limit: number
  /** UPSTASH_USAGE_FLUSH_SECONDS: how stale other instances' counts may be (0: nothing is counted). */
  flushSeconds: number
  /** monthUsed extrapolated to the end of the month at its average rate since counting began this month. */
  monthProjected: number
  /** Share of the UTC month elapsed, 0..1. */
  monthElapsed: number
  /** Billed commands today (UTC). */
  today: number
  /** The last HISTORY_DAYS days, oldest first, today included (0 where nothing was recorded); from the first recorded day. */
  history: { day: string; used: number }[]
  /** The previous UTC month's total as recorded, when anything was. */
  previousMonth: { month: string; used: number } | null
}

const DAY_MS = 86_400_000

/**
 * The month's usage for /status: 1 command (HGETALL of the small hash), plus an HDEL of the days
 * before the previous month when there are any (so the hash keeps at most ~62 fields once /status
 * is read; the flush itself never trims: it must stay one command). Throws UsageConfigError for a
 * wrong UPSTASH_MONTHLY_COMMAND_LIMIT, and when Redis cannot be reached.
 */
export async function readUsage(
  now: Date = new Date(),
  env: Record<string, string | undefined> = process.env,
): Promise<UsageReport> {
  const { monthlyCommandLimit, flushSeconds } = parseUsageConfig(env)
  const { getConfig, redis } = await import('@/lib/upstash')
  const key = usageKey(getConfig().keyPrefix)
  const saved = ((await redis.hgetall<Record<string, number | string>>(key)) ?? {}) as Record<string, number | string>
  const report = summarize(saved, now, monthlyCommandLimit, {
    counter: usageCounter(),
    trim: (stale) => void redis.hdel(key, ...stale).catch(() => 0),
  })
  return { ...report, flushSeconds }
}

/** The report from the saved hash (day → count) and this process's pending counts; `trim` gets the fields too old to keep. */
export function summarize(
  saved: Record<string, number | string>,
  now: Date,
  limit: number,
  { counter, trim }: { counter?: Pick<UsageCounter, 'pending'>; trim?: (stale: string[]) => void } = {},
): Omit<UsageReport, 'flushSeconds'> {
  const day = utcDay(now)
  const month = utcMonth(now)
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)
  const nextMonthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)
  const previousMonth = utcMonth(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)))
  const stale = Object.keys(saved).filter((d) => d < `${previousMonth}-01`)
  // Housekeeping, not waited for: the page's answer needs only the HGETALL.
  if (stale.length > 0) trim?.(stale)

  const days = new Map<string, number>()
  for (const [d, n] of Object.entries(saved))
    if (d >= `${previousMonth}-01` && /^\d{4}-\d\d-\d\d$/.test(d)) days.set(d, Number(n) || 0)
  // This process's pending counts for the month: today's, and yesterday's when a day just ended unflushed.
  for (let t = Math.max(monthStart, now.getTime() - DAY_MS); utcDay(new Date(t)) <= day; t += DAY_MS) {
    const d = utcDay(new Date(t))
    const p = counter?.pending(d) ?? 0
    if (p > 0) days.set(d, (days.get(d) ?? 0) + p)
  }

  let monthUsed = 0
  let previousUsed = 0
  let firstThisMonth: string | undefined
  for (const [d, n] of days) {
    if (d.startsWith(month)) {
      monthUsed += n
      if (n > 0 && (!firstThisMonth || d < firstThisMonth)) firstThisMonth = d
    } else if (d.startsWith(previousMonth)) previousUsed += n
  }
  const monthElapsed = (now.getTime() - monthStart) / (nextMonthStart - monthStart)
  // The rate since counting began this month (a deployment mid-month is not diluted over days it did not see),
  // over at least an hour: early on, one busy minute would project absurdly.
  const countedFrom = Math.max(monthStart, firstThisMonth ? Date.parse(`${firstThisMonth}T00:00:00Z`) : monthStart)
  const rate = monthUsed / Math.max(now.getTime() - countedFrom, 3_600_000)
  const monthProjected = Math.round(monthUsed + rate * (nextMonthStart - now.getTime()))

  const firstRecorded = [...days.keys()].sort()[0] ?? day
  const history: UsageReport['history'] = []
  for (let i = HISTORY_DAYS - 1; i >= 0; i--) {
    const d = utcDay(new Date(now.getTime() - i * DAY_MS))
    if (d >= firstRecorded) history.push({ day: d, used: days.get(d) ?? 0 })
  }
  return {
    month,
    day,
    monthUsed,
    limit,
    monthProjected,
    monthElapsed,
    today: days.get(day) ?? 0,
    history,
    previousMonth: [...days.keys()].some((d) => d.startsWith(previousMonth))
      ? { month: previousMonth, used: previousUsed }
      : null,
  }
}
