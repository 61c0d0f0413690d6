import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createContext, RedisInputError, createQueue, type ReservedJob } from '@/redis'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'

const stack = inject('stack')
const prefix = uniquePrefix('queue')
const ctx = createContext({ ...stack, REDIS_KEY_PREFIX: prefix, UPSTASH_DISABLE_TELEMETRY: 'true' })
const queue = createQueue(ctx, { backoffMs: 40, queues: { 'slow-retry': { backoffMs: 5_000 } } })
let direct: Awaited<ReturnType<typeof directClient>>

beforeAll(async () => {
  direct = await directClient(stack.REDIS_URL)
})
afterAll(async () => {
  await direct.close()
})

let n = 0
/** A fresh queue name per test, so tests never see each other's jobs. */
const fresh = (label: string) => `${label}-${++n}`

/** Polls `probe` (vi.waitFor) until it returns a non-null value, failing after `timeoutMs`. */
function eventually<T>(probe: () => Promise<T | null>, timeoutMs = 3_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe()
      if (value === null) throw new Error(`nothing after ${timeoutMs} ms`)
      return value
    },
    { timeout: timeoutMs, interval: 10 },
  )
}

interface EmailTask {
  to: string
  subject: string
  template: string
}

describe('queue: the seed API', () => {
  it('push / length / pop as written in the guide, FIFO, null when empty', async () => {
    const name = fresh('email-queue')
    const task: EmailTask = { to: 'client@example.com', subject: 'Welcome!', template: 'welcome' }
    await queue.push(name, task)
    await queue.push(name, { ...task, to: 'second@example.com' })
    await queue.push(name, { ...task, to: 'third@example.com' })
    expect(await queue.length(name)).toBe(3)

    const t = await queue.pop<EmailTask>(name)
    expect(t).toEqual(task)
    expect((await queue.pop<EmailTask>(name))?.to).toBe('second@example.com')
    expect((await queue.pop<EmailTask>(name))?.to).toBe('third@example.com')
    expect(await queue.pop(name)).toBeNull()
    expect(await queue.length(name)).toBe(0)
  })

  it('keeps payload types: numbers, numeric strings, arrays, nested objects, unicode', async () => {
    const name = fresh('types')
    const payloads = [
      42,
      '42',
      [],
      [1, 'a', null],
      { deep: { list: [{ x: 0.1 }] }, accents: 'dossier réglé ✓' },
      true,
      null,
    ]
    for (const p of payloads) await queue.push(name, p)
    for (const p of payloads) expect(await queue.pop(name)).toStrictEqual(p)
    // null is a legitimate payload; an empty queue is told apart by length()
    expect(await queue.length(name)).toBe(0)
  })

  it('a popped job is gone (at-most-once): not reserved, not in flight', async () => {
    const name = fresh('popped')
    await queue.push(name, { n: 1 })
    await queue.pop(name)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    expect(await queue.reserve(name)).toBeNull()
  })
})

describe('queue: push is safe to resend', () => {
  it('the same push request twice (a client retry after a lost answer) queues the job once', async () => {
    const name = fresh('resend')
    expect(await queue.push(name, { to: 'a@b.c' }, { jobId: 'fixed-id-1' })).toBe('fixed-id-1')
    expect(await queue.push(name, { to: 'a@b.c' }, { jobId: 'fixed-id-1' })).toBe('fixed-id-1')
    expect(await queue.length(name)).toBe(1)
    const job = await queue.reserve(name)
    expect(job).toMatchObject({ id: 'fixed-id-1', data: { to: 'a@b.c' } })
    // …also while it is leased, or dead: the id is still the queue's.
    await queue.push(name, { to: 'a@b.c' }, { jobId: 'fixed-id-1' })
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 1, delayed: 0, dead: 0 })
    await queue.fail(name, job!, 'no', { giveUp: true })
    await queue.push(name, { to: 'a@b.c' }, { jobId: 'fixed-id-1' })
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 1 })
  })
})

describe('queue: validation writes nothing', () => {
  it('rejects non-serialisable and oversized payloads and bad names with clear errors', async () => {
    const name = fresh('invalid')
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    await expect(queue.push(name, circular)).rejects.toThrow(/queue\.push: data\.self is a circular reference/)
    await expect(queue.push(name, { id: 10n })).rejects.toThrow(/data\.id is a BigInt/)
    await expect(queue.push(name, { run: () => 1 })).rejects.toThrow(/data\.run is a function/)
    await expect(queue.push(name, undefined)).rejects.toThrow(/data is undefined/)

    const small = createQueue(ctx, { maxPayloadBytes: 1024 })
    await expect(small.push(name, { text: 'x'.repeat(2_000) })).rejects.toThrow(/over the limit of 1024 bytes/)
    await expect(queue.push(name, 'x'.repeat(300 * 1024))).rejects.toThrow(/over the limit of 262144 bytes/)

    await expect(queue.push('bad{name}', 1)).rejects.toThrow(
      /^queue\.push: name: expected 1-128 letters.* \(got a 9-character string\)$/,
    )
    await expect(queue.push('', 1)).rejects.toBeInstanceOf(RedisInputError)
    await expect(queue.push(name, 1, { delayMs: -5 })).rejects.toThrow(
      /^queue\.push: options\.delayMs: must not be negative \(got -5\)$/,
    )
    await expect(queue.push(name, 1, { maxAttempts: 0 })).rejects.toThrow(
      /^queue\.push: options\.maxAttempts: must be at least 1 \(got 0\)$/,
    )
    await expect(queue.push(name, 1, { retries: 3 } as never)).rejects.toThrow(
      /^queue\.push: options: has an unknown key "retries"$/,
    )
    await expect(queue.ack(name, { id: 'x' } as never)).rejects.toThrow(
      /^queue\.ack: job\.leaseToken: expected a string \(got undefined\)$/,
    )
    expect(() => createQueue(ctx, { maxAttempts: -1 })).toThrow(
      /^createQueue: options\.maxAttempts: must be at least 1 \(got -1\)$/,
    )

    // Nothing reached Redis for this queue.
    const [, keys] = await scanAll(`${prefix}:queue:{${name}}:*`)
    expect(keys).toEqual([])
  })
})

describe('queue: delayed jobs', () => {
  it('a delayed job is invisible until due, then delivered', async () => {
    const name = fresh('delayed')
    const started = Date.now()
    await queue.push(name, { later: true }, { delayMs: 150 })
    await queue.push(name, { now: true })
    expect(await queue.stats(name)).toMatchObject({ waiting: 1, delayed: 1 })
    expect(await queue.pop(name)).toEqual({ now: true })
    expect(await queue.reserve(name)).toBeNull()

    const job = await eventually(() => queue.reserve<{ later: boolean }>(name))
    expect(job.data).toEqual({ later: true })
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(await queue.ack(name, job)).toBe(true)
  })

  it('delayed jobs due at the same time come out in push order', async () => {
    const name = fresh('delayed-order')
    for (let i = 0; i < 5; i++) await queue.push(name, i, { delayMs: 50 })
    const got: number[] = []
    while (got.length < 5) {
      const j = await eventually(() => queue.reserve<number>(name))
      got.push(j.data)
      await queue.ack(name, j)
    }
    expect(got).toEqual([0, 1, 2, 3, 4])
  })

  it('length counts delayed jobs once due', async () => {
    const name = fresh('delayed-length')
    await queue.push(name, 1, { delayMs: 60 })
    expect(await queue.length(name)).toBe(0)
    await eventually(async () => ((await queue.length(name)) === 1 ? true : null))
    expect(await queue.stats(name)).toEqual({ waiting: 1, inFlight: 0, delayed: 0, dead: 0 })
  })
})

describe('queue: at-least-once processing', () => {
  it('reserve leases the job, ack completes it', async () => {
    const name = fresh('reserve')
    const id = await queue.push(name, { dossierId: 'd-1' })
    const job = await queue.reserve<{ dossierId: string }>(name, { visibilityTimeoutMs: 10_000 })
    expect(job).toMatchObject({
      id,
      queue: name,
      data: { dossierId: 'd-1' },
      attempts: 1,
      maxAttempts: 3,
      lastError: null,
      visibilityTimeoutMs: 10_000,
    })
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 1, delayed: 0, dead: 0 })
    expect(await queue.reserve(name)).toBeNull() // leased: nobody else gets it
    // the lease deadline is ~10 s from now
    expect(job!.leaseExpiresAt - Date.now()).toBeGreaterThan(9_000)
    expect(job!.leaseExpiresAt - Date.now()).toBeLessThanOrEqual(10_000)

    expect(await queue.ack(name, job!)).toBe(true)
    expect(await queue.ack(name, job!)).toBe(false) // second ack: nothing left to ack
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    // nothing of the job is left in Redis
    const [, keys] = await scanAll(`${prefix}:queue:{${name}}:*`)
    expect(keys).toEqual([])
  })

  it('fail retries with exponential backoff, then dead-letters with the error and attempts', async () => {
    const name = fresh('retry')
    const id = await queue.push(name, { doc: 'x' }, { maxAttempts: 3 })
    const delays: number[] = []

    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await eventually(() => queue.reserve(name))
      expect(job.id).toBe(id)
      expect(job.attempts).toBe(attempt)
      if (attempt > 1) expect(job.lastError).toBe(`Error: boom ${attempt - 1}`)
      const result = await queue.fail(name, job, new Error(`boom ${attempt}`))
      if (attempt < 3) {
        expect(result).toMatchObject({ status: 'retry', attempts: attempt })
        if (result.status === 'retry') delays.push(result.delayMs)
        // in backoff: not visible yet
        expect(await queue.reserve(name)).toBeNull()
        expect(await queue.stats(name)).toMatchObject({ inFlight: 0, delayed: 1 })
      } else {
        expect(result).toEqual({ status: 'dead', attempts: 3 })
      }
    }
    expect(delays).toEqual([40, 80]) // backoffMs × 2^(n-1)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 1 })
    const [dead] = await queue.deadLetters<{ doc: string }>(name)
    expect(dead).toMatchObject({ id, data: { doc: 'x' }, attempts: 3, error: 'Error: boom 3' })
    expect(dead!.failedAt).toBeGreaterThan(0)

    // an operator can put it back with fresh attempts
    expect(await queue.retryDead(name, id)).toBe(true)
    expect(await queue.retryDead(name, id)).toBe(false)
    const again = await queue.reserve(name)
    expect(again).toMatchObject({ id, attempts: 1 })
    expect(await queue.ack(name, again!)).toBe(true)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('per-queue settings and per-push options set the backoff and attempts', async () => {
    const name = 'slow-retry'
    await queue.push(name, 'a')
    const job = (await queue.reserve(name))!
    expect(await queue.fail(name, job, 'nope')).toMatchObject({ status: 'retry', delayMs: 5_000 })

    const other = fresh('per-push')
    await queue.push(other, 'b', { maxAttempts: 1, backoffMs: 0 })
    const only = (await queue.reserve(other))!
    expect(only.maxAttempts).toBe(1)
    expect(await queue.fail(other, only, { code: 'E_MODEL' })).toEqual({ status: 'dead', attempts: 1 })
    expect((await queue.deadLetters(other))[0]?.error).toBe('{"code":"E_MODEL"}')
  })

  it('giveUp dead-letters at once', async () => {
    const name = fresh('give-up')
    await queue.push(name, 'bad')
    const job = (await queue.reserve(name))!
    expect(await queue.fail(name, job, new Error('malformed'), { giveUp: true })).toEqual({
      status: 'dead',
      attempts: 1,
    })
  })

  it('an expired lease is reclaimed by the next reserve; the old lease can no longer fail or extend it', async () => {
    const name = fresh('lease')
    const id = await queue.push(name, { work: 1 })
    const first = (await queue.reserve(name, { visibilityTimeoutMs: 100 }))!
    const second = await eventually(() => queue.reserve(name, { visibilityTimeoutMs: 10_000 }))
    expect(second.id).toBe(id)
    expect(second.attempts).toBe(2)
    expect(second.lastError).toMatch(/lease expired after attempt 1/)
    expect(second.leaseToken).not.toBe(first.leaseToken)

    // the first worker wakes up late: its fail/extend must not touch the second's lease
    expect(await queue.fail(name, first, 'late')).toEqual({ status: 'stale' })
    expect(await queue.extend(name, first, 60_000)).toBeNull()
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 1, delayed: 0, dead: 0 })

    expect(await queue.ack(name, second)).toBe(true)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    // A late ack after the job is complete finds nothing to complete.
    expect(await queue.ack(name, first)).toBe(false)
  })

  it('a late ack of an expired lease still completes the job (its work was done): nothing runs again', async () => {
    const name = fresh('late-ack')
    await queue.push(name, { work: 2 })
    const first = (await queue.reserve(name, { visibilityTimeoutMs: 50 }))!
    const second = await eventually(() => queue.reserve(name, { visibilityTimeoutMs: 10_000 }))
    expect(await queue.ack(name, first)).toBe(true)
    expect(await queue.ack(name, second)).toBe(false)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('a lease that expires on the last attempt dead-letters the job', async () => {
    const name = fresh('lease-dead')
    const id = await queue.push(name, 'x', { maxAttempts: 1 })
    await queue.reserve(name, { visibilityTimeoutMs: 50 })
    // the next reserve (or pop) reclaims it: it has no attempt left, so it goes to the dead letters
    await eventually(async () =>
      (await queue.reserve(name)) === null && (await queue.stats(name)).dead === 1 ? true : null,
    )
    expect((await queue.deadLetters(name))[0]).toMatchObject({
      id,
      attempts: 1,
      error: expect.stringMatching(/lease expired/),
    })
  })

  it('extend keeps a long job leased past its first deadline', async () => {
    const name = fresh('extend')
    await queue.push(name, 'long')
    const job = (await queue.reserve(name, { visibilityTimeoutMs: 200 }))!
    const newDeadline = await queue.extend(name, job, 60_000)
    expect(newDeadline).toBeGreaterThanOrEqual(job.leaseExpiresAt + 59_000)
    expect(await queue.reserve(name)).toBeNull()
    expect(await queue.ack(name, job)).toBe(true)
  })

  it('the dead-letter list is bounded', async () => {
    const name = fresh('dead-bound')
    const bounded = createQueue(ctx, { deadLetterLimit: 2, maxAttempts: 1 })
    for (let i = 0; i < 4; i++) await bounded.push(name, i)
    for (let i = 0; i < 4; i++) await bounded.fail(name, (await bounded.reserve(name))!, `e${i}`)
    expect((await bounded.deadLetters<number>(name)).map((d) => d.data)).toEqual([3, 2])
    // the dropped ones are gone entirely
    expect(await bounded.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 2 })
  })
})

describe('queue: concurrency', () => {
  it('200 jobs, 5 concurrent consumers: every job acked exactly once, none lost', async () => {
    const name = fresh('concurrent')
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => queue.push(name, { i })))
    expect(new Set(ids).size).toBe(200)

    const acked: string[] = []
    const seenData: number[] = []
    const consumer = async () => {
      for (;;) {
        const job = await queue.reserve<{ i: number }>(name, { visibilityTimeoutMs: 30_000 })
        if (!job) return
        seenData.push(job.data.i)
        if (await queue.ack(name, job)) acked.push(job.id)
      }
    }
    await Promise.all(Array.from({ length: 5 }, consumer))
    expect(acked).toHaveLength(200)
    expect(new Set(acked)).toEqual(new Set(ids))
    expect(seenData.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i))
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('consumers that die mid-job (never ack) lose nothing: their jobs are redelivered and acked exactly once', async () => {
    const name = fresh('crashy')
    const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => queue.push(name, { i }, { maxAttempts: 10 })))
    const ackedBy = new Map<string, number>()
    const abandoned: ReservedJob<unknown>[] = []
    let reservations = 0

    const consumer = async (crashEvery: number) => {
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        const job = await queue.reserve(name, { visibilityTimeoutMs: 80 })
        if (!job) {
          const s = await queue.stats(name)
          if (s.waiting + s.inFlight + s.delayed === 0) return
          await new Promise((r) => setTimeout(r, 10)) // poll interval while leases run out
          continue
        }
        reservations++
        // this "worker" crashes on some jobs: it drops them without ack or fail
        if (crashEvery && reservations % crashEvery === 0) {
          abandoned.push(job)
          continue
        }
        if (await queue.ack(name, job)) ackedBy.set(job.id, (ackedBy.get(job.id) ?? 0) + 1)
      }
    }
    await Promise.all([consumer(3), consumer(4), consumer(0), consumer(5), consumer(0)])

    expect(abandoned.length).toBeGreaterThan(0)
    expect([...ackedBy.keys()].sort()).toEqual([...ids].sort())
    expect([...ackedBy.values()].every((count) => count === 1)).toBe(true)
    // the crashed workers' late acks are all refused
    for (const job of abandoned) expect(await queue.ack(name, job)).toBe(false)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })
})

async function scanAll(pattern: string): Promise<[string, string[]]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = (await direct.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [
      string,
      string[],
    ]
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return [cursor, keys]
}

describe('queue.cancel', () => {
  const dataField = async (name: string, id: string) =>
    Boolean(await direct.hExists(`${prefix}:queue:{${name}}:data`, id))

  it('removes a waiting job and its data: it is never reserved; false once it is gone', async () => {
    const name = fresh('cancel-waiting')
    const id = await queue.push(name, { remind: 'dossier-1' }, { jobId: 'reminder-1' })
    const kept = await queue.push(name, { remind: 'dossier-2' })
    expect(await queue.cancel(name, id)).toBe(true)
    expect(await dataField(name, id)).toBe(false)
    expect(await queue.stats(name)).toEqual({ waiting: 1, inFlight: 0, delayed: 0, dead: 0 })
    expect(await queue.cancel(name, id)).toBe(false)
    const job = await queue.reserve(name)
    expect(job?.id).toBe(kept)
    expect(await queue.ack(name, job!)).toBe(true)
    expect(await queue.reserve(name)).toBeNull()
  })

  it('removes a delayed job and a grouped one', async () => {
    const name = fresh('cancel-delayed')
    const later = await queue.push(name, 'later', { delayMs: 60_000 })
    const grouped = await queue.push(name, 'grouped', { group: 'cabinet-1' })
    expect(await queue.stats(name)).toEqual({ waiting: 1, inFlight: 0, delayed: 1, dead: 0 })
    expect(await queue.cancel(name, later)).toBe(true)
    expect(await queue.cancel(name, grouped)).toBe(true)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    expect(await dataField(name, later)).toBe(false)
    expect(await dataField(name, grouped)).toBe(false)
  })

  it('leaves a leased job (it is running) and a dead one (kept for inspection) as they are; false for an unknown id', async () => {
    const name = fresh('cancel-leased')
    await queue.push(name, 'running')
    const job = (await queue.reserve(name))!
    expect(await queue.cancel(name, job.id)).toBe(false)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 1, delayed: 0, dead: 0 })
    expect(await queue.fail(name, job, new Error('bad input'), { giveUp: true })).toEqual({
      status: 'dead',
      attempts: 1,
    })
    expect(await queue.cancel(name, job.id)).toBe(false)
    expect((await queue.deadLetters(name)).map((d) => d.id)).toEqual([job.id])
    expect(await queue.cancel(name, 'no-such-job')).toBe(false)
  })

  it('checks its arguments before any Redis call', async () => {
    await expect(queue.cancel('bad{name}', 'x')).rejects.toThrow(/^queue\.cancel: name: expected 1-128 letters/)
    await expect(queue.cancel(fresh('cancel-input'), '')).rejects.toThrow(
      /^queue\.cancel: jobId: must not be empty \(got an empty string\)$/,
    )
    await expect(queue.cancel(fresh('cancel-input'), '')).rejects.toBeInstanceOf(RedisInputError)
  })
})
