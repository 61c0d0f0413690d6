/**
 * Fairness between groups of one queue (e.g. cabinets sharing the analysis queue), on a private
 * stack so billed commands are counted without other files' traffic. Real workers (runWorker), real
 * redis-server behind the local endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext, createQueue, type Queue, type ReservedJob, runWorker, RedisInputError } from '@/redis'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'
import { billedCommands } from '../../testing/redis-direct'

let stack: Stack
let queue: Queue

beforeAll(async () => {
  stack = await startStack()
  queue = createQueue(
    createContext({ ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('qgroups'), UPSTASH_DISABLE_TELEMETRY: 'true' }),
    { backoffMs: 20 },
  )
})
afterAll(async () => {
  await stack?.stop()
})

interface Task {
  group: string
  n: number
}

/** Runs `workers` real worker loops until `until()` holds; returns the jobs in the order they were reserved. */
async function drainWithWorkers(
  name: string,
  workers: number,
  until: (order: Task[]) => boolean,
  jobMs = 15,
): Promise<Task[]> {
  const order: Task[] = []
  const stop = new AbortController()
  const loops = Array.from({ length: workers }, () =>
    runWorker<Task>(
      queue,
      name,
      // A job takes jobMs (real time passing, as an analysis does).
      async () => new Promise((resolve) => setTimeout(resolve, jobMs)),
      {
        signal: stop.signal,
        minIdleMs: 5,
        maxIdleMs: 20,
        onReserved: (job: ReservedJob<unknown>) => {
          order.push(job.data as Task)
          if (until(order)) stop.abort()
        },
      },
    ),
  )
  await Promise.all(loops)
  return order
}

describe('queue groups: one group’s burst does not hold another group’s job back', () => {
  // With one worker B is the 1st or 2nd reservation; with two reserving at once, the 2nd round at worst
  // (a worker that loses the oldest job to the other takes another): B waits about one job's time.
  it.each([
    [1, 2],
    [2, 3],
  ])(
    'A pushes 50 jobs, then B pushes 1: with %i real worker(s), B is among the first %i reservations',
    async (workers, within) => {
      const name = `fair-burst-${workers}`
      await Promise.all(
        Array.from({ length: 50 }, (_, n) => queue.push(name, { group: 'A', n }, { group: 'cabinet-A' })),
      )
      await queue.push(name, { group: 'B', n: 0 }, { group: 'cabinet-B' })
      const order = await drainWithWorkers(name, workers, (o) => o.length === 51)
      const b = order.findIndex((t) => t.group === 'B')
      expect(b, `reservation order: ${order.map((t) => `${t.group}${t.n}`).join(' ')}`).toBeGreaterThanOrEqual(0)
      expect(b + 1).toBeLessThanOrEqual(within)
      // Every job once, none lost.
      expect(
        order
          .filter((t) => t.group === 'A')
          .map((t) => t.n)
          .sort((x, y) => x - y),
      ).toEqual(Array.from({ length: 50 }, (_, n) => n))
    },
  )

  it('while 2 workers are busy with A’s burst, B’s job pushed later is reserved within the next 2 reservations', async () => {
    const name = 'fair-live'
    await Promise.all(Array.from({ length: 50 }, (_, n) => queue.push(name, { group: 'A', n }, { group: 'cabinet-A' })))
    let pushedAt = -1
    const order = await drainWithWorkers(
      name,
      2,
      (o) => {
        // After a few of A's jobs, B asks (the workers keep running meanwhile).
        if (o.length === 5 && pushedAt < 0) {
          pushedAt = Infinity
          void queue.push(name, { group: 'B', n: 0 }, { group: 'cabinet-B' }).then(() => (pushedAt = o.length))
        }
        return o.length === 51
      },
      25,
    )
    const b = order.findIndex((t) => t.group === 'B')
    expect(Number.isFinite(pushedAt)).toBe(true)
    // Reservations made after B's push was confirmed, up to and including B's.
    expect(
      b - pushedAt + 1,
      `B pushed after reservation ${pushedAt}; order: ${order.map((t) => `${t.group}${t.n}`).join(' ')}`,
    ).toBeLessThanOrEqual(2)
  })

  it('groups alternate: A then B bursts of 10 are served interleaved, each group in its own push order', async () => {
    const name = 'fair-rr'
    for (let n = 0; n < 10; n++) await queue.push(name, { group: 'A', n }, { group: 'A' })
    for (let n = 0; n < 10; n++) await queue.push(name, { group: 'B', n }, { group: 'B' })
    const order: Task[] = []
    for (let job = await queue.reserve<Task>(name); job; job = await queue.reserve<Task>(name)) {
      order.push(job.data)
      await queue.ack(name, job)
    }
    expect(order.map((t) => t.group).join('')).toBe('AB'.repeat(10))
    for (const g of ['A', 'B'])
      expect(order.filter((t) => t.group === g).map((t) => t.n)).toEqual(Array.from({ length: 10 }, (_, n) => n))
  })

  it('a group’s place is never in the future: past the window its jobs are ordered by push time, ready at once', async () => {
    const short = createQueue(
      createContext({
        ...stack.env,
        REDIS_KEY_PREFIX: uniquePrefix('qgroups-short'),
        UPSTASH_DISABLE_TELEMETRY: 'true',
      }),
      { groupSlotMs: 1_000, groupWindowMs: 200 },
    )
    const name = 'fair-window'
    // Slot (1 s) > window (200 ms): A's second job would be "in the future", so it is ordered by push time instead, and still ready at once.
    await short.push(name, 'a1', { group: 'A' })
    await short.push(name, 'a2', { group: 'A' })
    expect(await short.length(name)).toBe(2)
    const got = [(await short.pop(name))!, (await short.pop(name))!]
    expect(got).toEqual(['a1', 'a2'])
  })

  it('keeps the guarantees: an id pushed twice is queued once; lease, fail, retry and dead letters work for grouped jobs', async () => {
    const name = 'fair-guarantees'
    await queue.push(name, { group: 'A', n: 1 }, { group: 'A', jobId: 'job-1', maxAttempts: 2 })
    await queue.push(name, { group: 'A', n: 2 }, { group: 'A', jobId: 'job-1' })
    expect(await queue.stats(name)).toEqual({ waiting: 1, inFlight: 0, delayed: 0, dead: 0 })
    const first = (await queue.reserve<Task>(name))!
    expect(first.data).toEqual({ group: 'A', n: 1 })
    // Leased: a push of the same id changes nothing.
    await queue.push(name, { group: 'A', n: 3 }, { group: 'A', jobId: 'job-1' })
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 1, delayed: 0, dead: 0 })
    expect(await queue.fail(name, first, new Error('boom'))).toMatchObject({ status: 'retry', attempts: 1 })
    const again = await (async () => {
      for (;;) {
        const j = await queue.reserve<Task>(name)
        if (j) return j
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    expect(again).toMatchObject({ id: 'job-1', attempts: 2, lastError: 'Error: boom' })
    expect(await queue.fail(name, again, new Error('boom again'))).toEqual({ status: 'dead', attempts: 2 })
    expect((await queue.deadLetters<Task>(name)).map((d) => [d.id, d.data.n, d.error])).toEqual([
      ['job-1', 1, 'Error: boom again'],
    ])
    // Dead: still "in the queue", so a push of its id is a no-op; retryDead brings it back.
    await queue.push(name, { group: 'A', n: 4 }, { group: 'A', jobId: 'job-1' })
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 1 })
    expect(await queue.retryDead(name, 'job-1')).toBe(true)
    const revived = (await queue.reserve<Task>(name))!
    expect(await queue.ack(name, revived)).toBe(true)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('a bad group name is refused, naming the option', async () => {
    await expect(queue.push('fair-bad', 1, { group: 'a b' })).rejects.toThrow(RedisInputError)
    await expect(queue.push('fair-bad', 1, { group: 'a b' })).rejects.toThrow(/group/)
    await expect(queue.push('fair-bad', 1, { group: '' })).rejects.toThrow(/group/)
  })
})

describe('queue groups: billed Upstash commands', () => {
  const billed = (fn: () => Promise<unknown>) => billedCommands(stack.env.REDIS_URL, fn).then((r) => r.total)

  it('grouped push 4 (3 for an id already queued), reserve 4, ack 2: 10 per job; an empty reserve 1', async () => {
    const name = 'fair-cost'
    // Load the scripts once (a first call on a server is EVALSHA → NOSCRIPT → EVAL).
    await queue.push(name, 'warm', { group: 'g' })
    await queue.ack(name, (await queue.reserve(name))!)

    expect(await billed(() => queue.push(name, { n: 1 }, { group: 'g', jobId: 'x1' }))).toBe(4)
    expect(await billed(() => queue.push(name, { n: 1 }, { group: 'g', jobId: 'x1' }))).toBe(3)
    let job: ReservedJob<unknown> | null = null
    expect(await billed(async () => (job = await queue.reserve(name)))).toBe(4)
    expect(await billed(() => queue.ack(name, job!))).toBe(2)
    expect(await billed(() => queue.reserve(name))).toBe(1)
    // Ungrouped and delayed pushes are unchanged.
    expect(await billed(() => queue.push(name, 'plain'))).toBe(2)
    expect(await billed(() => queue.push(name, 'later', { group: 'g', delayMs: 60_000 }))).toBe(2)
  })
})
