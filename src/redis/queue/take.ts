import { withOperationBudget } from '../core/budget'
import { resolveContext } from '../core/context'
import { leaseScore, nowTick, readyMax } from './layout'
import { runOnQueue, type QueueRuntime } from './runtime'
import { claim } from './scripts/claim'

/** Ready jobs read per reserve, to spread concurrent workers over them. */
const CANDIDATES = 8
/** Reads of candidates per take before giving up (every candidate of each was taken by others). */
const ROUNDS = 20

export interface TakeRequest {
  /** The operation, for errors ('pop' or 'reserve'). */
  op: string
  name: string
  /** Remove the job (at-most-once) instead of leasing it. */
  pop: boolean
  /** The lease's length (0 when popping). */
  visibilityTimeoutMs: number
}

/** A job this caller took: its id, stored record and new score. */
export interface Taken {
  id: string
  record: string
  score: number
}

/**
 * The oldest ready job taken by this caller: one plain ZRANGEBYSCORE finds a candidate (all an
 * empty queue costs), then the claim script takes it unless another worker was faster (retry).
 * Its round trips (a read, then claims until one wins) share one budget (REDIS_TIMEOUT_MS, or the
 * request's): each is its own withRedis call, so once the budget is spent no further claim is sent.
 */
export function take(rt: QueueRuntime, req: TakeRequest): Promise<Taken | null> {
  const place = rt.takesInFlight.get(req.name) ?? 0
  rt.takesInFlight.set(req.name, place + 1)
  return withOperationBudget(resolveContext(rt.source).config.timeoutMs, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const tick = nowTick()
      const candidates = await readCandidates(rt, req, tick)
      if (candidates.length === 0) return null
      const taken = await claimOne(rt, req, candidates, { tick, place })
      if (taken) return taken
    }
    return null
  }).finally(() => {
    const left = (rt.takesInFlight.get(req.name) ?? 1) - 1
    if (left > 0) rt.takesInFlight.set(req.name, left)
    else rt.takesInFlight.delete(req.name)
  })
}

/**
 * A few of the oldest ready jobs, [id, score] (1 command): the first is tried first (FIFO); when
 * another worker takes it first, the next try picks another candidate instead of reading again.
 */
async function readCandidates(rt: QueueRuntime, req: TakeRequest, tick: number): Promise<[string, string][]> {
  const flat = (await runOnQueue(rt, req, (redis, k) =>
    redis.zrange(k.jobs, '-inf', readyMax(tick), { byScore: true, offset: 0, count: CANDIDATES, withScores: true }),
  )) as (string | number)[]
  const candidates: [string, string][] = []
  for (let i = 0; i + 1 < flat.length; i += 2) candidates.push([String(flat[i]), String(flat[i + 1])])
  return candidates
}

/** Tries to claim the candidates, one at a time, until one is ours; null when others took them all. */
async function claimOne(
  rt: QueueRuntime,
  req: TakeRequest,
  candidates: [string, string][],
  at: { tick: number; place: number },
): Promise<Taken | null> {
  const s = rt.settingsFor(req.name)
  // While workers of this process have been colliding, each concurrent take starts at its own place
  // (the k-th take in flight tries the k-th oldest; not a random pick, so the order stays nearly
  // FIFO and a job that group fairness placed second is taken second); a loser then tries at random.
  const spread = (rt.contended.get(req.name) ?? 0) > Date.now()
  for (let tries = 0; candidates.length > 0 && tries < CANDIDATES; tries++) {
    const pick =
      tries > 0 ? Math.floor(Math.random() * candidates.length) : spread ? Math.min(at.place, candidates.length - 1) : 0
    const [id, seen] = candidates.splice(pick, 1)[0]!
    const lease = leaseScore(at.tick + req.visibilityTimeoutMs * 10)
    // Once sent, the claim's answer is waited for even past the budget: a claim nobody receives would
    // lose a popped job, or lease a reserved one to nobody (its attempt spent).
    const reply = await runOnQueue(
      rt,
      req,
      (redis, keys) =>
        claim(redis, keys, { id, seen, lease, nowMs: Date.now(), deadLetterLimit: s.deadLetterLimit, pop: req.pop }),
      { waitOnceSent: true },
    )
    if (reply.status === 'ok') return { id, record: reply.record, score: reply.score }
    // 'taken' (another worker won), 'gone', 'dead' (its lease expired on the last attempt): try another.
    if (reply.status === 'taken') rt.contended.set(req.name, Date.now() + 1000)
  }
  return null
}
