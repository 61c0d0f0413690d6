/**
 * The Upstash usage counter behind /status: counts the commands of requests to the configured URL
 * (pipelines by entry), sends at most one command per flush and none when nothing was counted, and
 * never counts its own flush.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commandsInRequest, installUsageCounter, usageCounter, type UsageCounter } from '@/lib/usage/upstash-usage'

let server: Server
let base = ''
const sent: { day: string; n: number }[] = []
let failNext = false
let counter: UsageCounter

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(req.url === '/unauthorized' ? (res.statusCode = 401, '{"error":"no"}') : '{"result":"OK"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  counter = installUsageCounter({
    baseUrl: base,
    flushEveryMs: 3_600_000, // flushed by hand below
    now: () => new Date('2026-11-26T10:00:00Z'),
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
  it('counts one per command, pipelines by entry, nothing for other hosts or refused requests', async () => {
    await fetch(base, { method: 'POST', body: '["GET","a"]' })
    await fetch(`${base}/pipeline`, { method: 'POST', body: '[["GET","a"],["SET","b","1"],["INCR","c"]]' })
    await fetch(`${base}/unauthorized`, { method: 'POST', body: '["GET","a"]' })
    expect(counter.pending('2026-11-26')).toBe(4)
    expect(usageCounter()).toBe(counter)
    expect(commandsInRequest(`${base}/multi-exec`, '[["SET","a","1"],["GET","a"]]')).toBe(2)
  })

  it('flushes with one command, not counted itself, and then stays silent while idle', async () => {
    await counter.flush()
    expect(sent).toEqual([{ day: '2026-11-26', n: 4 }])
    expect(counter.pending('2026-11-26')).toBe(0)
    await counter.flush()
    await counter.flush()
    expect(sent).toHaveLength(1)
  })

  it('keeps the count for the next flush when saving fails', async () => {
    await fetch(base, { method: 'POST', body: '["GET","a"]' })
    failNext = true
    await counter.flush()
    expect(counter.pending('2026-11-26')).toBe(1)
    await counter.flush()
    expect(sent.at(-1)).toEqual({ day: '2026-11-26', n: 1 })
  })
})
