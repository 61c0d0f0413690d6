/**
 * The Upstash usage meter behind /status: counts the commands of requests to the configured URL
 * (pipelines by entry) and the commands scripts report running inside; saves them with at most one
 * command per flush (counting that command too), only when due, none when nothing was counted;
 * summarises the UTC month against UPSTASH_MONTHLY_COMMAND_LIMIT, validated. (That the count equals
 * what redis-server executed: tests/usage/usage-billing.test.ts.)
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reportScriptCommands } from '@/redis/core/billing'
import {
  commandsInRequest,
  installUsageCounter,
  parseUsageConfig,
  summarize,
  usageCounter,
  UsageConfigError,
  type UsageCounter,
} from '@/lib/usage/upstash-usage'

let server: Server
let base = ''
const sent: { day: string; n: number }[] = []
let failNext = false
let counter: UsageCounter
let clock = Date.parse('2026-11-26T10:00:00Z')

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(req.url === '/unauthorized' ? ((res.statusCode = 401), '{"error":"no"}') : '{"result":"OK"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  counter = installUsageCounter({
    baseUrl: base,
    flushEveryMs: 60_000,
    timer: false, // flushed by hand below
    now: () => new Date(clock),
    log: () => {},
    // The flush itself goes to the same URL: it must not count.
    send: async (day, n) => {
      await fetch(base, { method: 'POST', body: JSON.stringify(['HINCRBY', 'k', day, n]) })
      if (failNext) {
        failNext = false
        throw new Error('down')
      }
      sent.push({ day, n })
    },
  })
})
afterAll(async () => {
  counter.stop()
  await new Promise((r) => server.close(r))
})

describe('upstash usage counter', () => {
  it('counts one per command, pipelines by entry, script commands as reported, nothing for other hosts or refused requests', async () => {
    expect(counter.due()).toBe(false) // nothing pending
    await fetch(base, { method: 'POST', body: '["GET","a"]' })
    await fetch(`${base}/pipeline`, { method: 'POST', body: '[["GET","a"],["SET","b","1"],["INCR","c"]]' })
    await fetch(`${base}/unauthorized`, { method: 'POST', body: '["GET","a"]' })
    reportScriptCommands(3) // an EVALSHA (its request counted above as the GET) that ran 3 commands inside
    expect(counter.pending('2026-11-26')).toBe(7)
    expect(usageCounter()).toBe(counter)
    expect(commandsInRequest(`${base}/multi-exec`, '[["SET","a","1"],["GET","a"]]')).toBe(2)
  })

  it('flushes with one command that counts itself, and then stays silent while idle', async () => {
    expect(counter.due()).toBe(true) // never flushed yet: due at once
    await counter.flushIfDue()
    expect(sent).toEqual([{ day: '2026-11-26', n: 8 }])
    expect(counter.pending('2026-11-26')).toBe(0)
    await counter.flush()
    clock += 3_600_000
    await counter.flushIfDue()
    expect(sent).toHaveLength(1)
  })

  it('waits a flush interval between flushes, and keeps the count for the next one when saving fails', async () => {
    await counter.flush() // nothing pending: no command, and the interval does not restart
    await fetch(base, { method: 'POST', body: '["GET","a"]' })
    expect(counter.due()).toBe(true)
    failNext = true
    await counter.flushIfDue()
    expect(counter.pending('2026-11-26')).toBe(1)
    expect(counter.due()).toBe(false) // the failed flush was a flush: retried an interval later
    clock += 59_000
    await counter.flushIfDue()
    expect(sent).toHaveLength(1)
    clock += 1_000
    await counter.flushIfDue()
    expect(sent.at(-1)).toEqual({ day: '2026-11-26', n: 2 })
  })

  it('outside a request scope, scheduling a flush does nothing (the timer, or the next request, does it)', async () => {
    await fetch(base, { method: 'POST', body: '["GET","a"]' })
    clock += 60_000
    counter.scheduleFlush()
    expect(counter.pending('2026-11-26')).toBe(1)
    await counter.flushIfDue()
    expect(sent.at(-1)).toEqual({ day: '2026-11-26', n: 2 })
  })
})

describe('the month on /status', () => {
  const now = new Date('2026-11-16T00:00:00Z') // half of November (30 days) elapsed

  it('sums the UTC month with the pending count, projects it at the month’s rate, and lists the last days', () => {
    const saved = { '2026-10-31': '900', '2026-11-01': '10000', '2026-11-15': '5000', '2026-11-16': 40 }
    const pending = { pending: (day?: string) => (day === '2026-11-16' ? 60 : 0) }
    const r = summarize(saved, now, 500_000, { counter: pending })
    expect(r).toMatchObject({
      month: '2026-11',
      day: '2026-11-16',
      monthUsed: 15_100,
      today: 100,
      limit: 500_000,
      previousMonth: { month: '2026-10', used: 900 },
    })
    expect(r.monthElapsed).toBeCloseTo(0.5)
    expect(r.monthProjected).toBe(30_200)
    expect(r.history).toHaveLength(14)
    expect(r.history.at(-1)).toEqual({ day: '2026-11-16', used: 100 })
    expect(r.history.find((h) => h.day === '2026-11-10')).toEqual({ day: '2026-11-10', used: 0 })
  })

  it('projects from the day counting began when that is after the 1st, and trims days before the previous month', () => {
    const trimmed: string[][] = []
    const r = summarize({ '2026-09-30': 5, '2026-11-11': 1000, '2026-11-15': 1500 }, now, 500_000, {
      trim: (stale) => trimmed.push(stale),
    })
    expect(trimmed).toEqual([['2026-09-30']])
    // 2 500 over 5 days → 500 a day → 2 500 + 15 days × 500.
    expect(r.monthProjected).toBe(10_000)
    expect(r.previousMonth).toBeNull()
    expect(r.history[0]).toEqual({ day: '2026-11-11', used: 1000 })
  })

  it('months are UTC: 23:30 on the last day in Paris is already the next month', () => {
    const r = summarize({ '2026-11-30': 7, '2026-12-01': 3 }, new Date('2026-12-01T00:30:00Z'), 10)
    expect(r).toMatchObject({ month: '2026-12', monthUsed: 3, previousMonth: { month: '2026-11', used: 7 } })
    // Less than an hour into the month: the rate is taken over an hour at least.
    expect(r.monthProjected).toBe(Math.round(3 + (3 / 3_600_000) * (31 * 86_400_000 - 1_800_000)))
  })
})

describe('usage settings (zod)', () => {
  it('defaults: Upstash’s free plan (500 000 commands a month), a flush a minute, the timer except on Vercel', () => {
    expect(parseUsageConfig({})).toEqual({ monthlyCommandLimit: 500_000, flushSeconds: 60, flushTimer: true })
    expect(parseUsageConfig({ VERCEL: '1' }).flushTimer).toBe(false)
    expect(
      parseUsageConfig({
        UPSTASH_MONTHLY_COMMAND_LIMIT: '10000000',
        UPSTASH_USAGE_FLUSH_SECONDS: '0',
        UPSTASH_USAGE_FLUSH_TIMER: 'true',
        VERCEL: '1',
      }),
    ).toEqual({
      monthlyCommandLimit: 10_000_000,
      flushSeconds: 0,
      flushTimer: true,
    })
  })

  it.each(['500 000', '5e5', '1.5', '-1', '0', 'lots', '500000000000000'])(
    'refuses UPSTASH_MONTHLY_COMMAND_LIMIT=%j, naming it',
    (value) => {
      let err: unknown
      try {
        parseUsageConfig({ UPSTASH_MONTHLY_COMMAND_LIMIT: value })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(UsageConfigError)
      expect((err as UsageConfigError).variables).toEqual(['UPSTASH_MONTHLY_COMMAND_LIMIT'])
      expect((err as Error).message).toContain(
        `UPSTASH_MONTHLY_COMMAND_LIMIT must be a whole number of commands from 1 to 1000000000000 (got "${value}")`,
      )
    },
  )

  it('names every wrong variable at once', () => {
    expect(() =>
      parseUsageConfig({
        UPSTASH_USAGE_FLUSH_SECONDS: '1m',
        UPSTASH_USAGE_FLUSH_TIMER: 'oui',
        UPSTASH_MONTHLY_COMMAND_LIMIT: 'x',
      }),
    ).toThrow(
      /UPSTASH_MONTHLY_COMMAND_LIMIT must be[\s\S]*UPSTASH_USAGE_FLUSH_SECONDS must be a whole number of seconds from 0 to 3600 \(got "1m"\)[\s\S]*UPSTASH_USAGE_FLUSH_TIMER must be "true" or "false"/,
    )
  })
})
