/**
 * How a queue lives in Redis, the one place that knows it. Upstash bills a script 1 + every command
 * it runs, so the hot path runs as few commands as possible: push is 2 plain commands, reserve 1
 * plain check + a 3-command script, ack 2 plain commands (8 per job); an empty reserve is 1. A push
 * with a group is a 3-command script (4; 10 per job).
 *
 * Keys (all tagged `{name}`: one cluster slot):
 *   jobs  ZSET  job id → score (below): waiting, delayed, leased and dead jobs, one member each
 *   data  HASH  job id → `<meta JSON>\n<payload JSON>` (the payload exactly as the caller's JSON;
 *               meta: m maxAttempts, b backoffMs, x maxBackoffMs, c createdAt, e last error,
 *               r the attempt that error belongs to, f failedAt)
 *   dead  LIST  dead job ids, newest first (their data is kept)
 *   data also holds one field per job group, `~g:<group>` → the tick of the group's latest place
 *   (`~` never starts a job id), so a grouped push reads and writes it in the commands it runs anyway.
 *
 * score = tick × 1000 + leased × 100 + attempts, an exact integer in a double:
 *   tick: 100 µs since 2026-01-01 (the job is available from then: pushed at, due at, or lease deadline);
 *   leased: 1 while a worker holds it; attempts: reserves so far (≤ 99); dead jobs: +inf.
 *   A grouped push's tick is its place, not its push time: max(group's previous place + slot,
 *   now - window), at most now; so it is ready at once, and a group's burst is spaced out in the
 *   order while another group's first job lands near the front (fair queuing, no extra key to read).
 * A job is ready when its score ≤ now's tick × 1000 + 999: waiting, due, or a lease that expired
 * (then reclaimed by the next reserve). Times come from the callers' clocks (kept within ~1 s by NTP:
 * a worker whose clock runs ahead takes expired leases back early by its skew).
 */

/** A queue's keys, in the order its scripts take them (KEYS[1..3]). */
export interface QueueKeys {
  jobs: string
  data: string
  dead: string
}

/** The parts of a queue's keys, after `<prefix>:queue:{<name>}:`. */
export const KEY_PARTS = ['jobs', 'data', 'dead'] as const

/** A job's meta line (short names: it is stored with every job). */
export interface JobMeta {
  /** maxAttempts */
  m: number
  /** backoffMs */
  b: number
  /** maxBackoffMs */
  x: number
  /** createdAt (ms) */
  c: number
  /** the last attempt's error */
  e?: string
  /** the attempt that error belongs to */
  r?: number
  /** failedAt (ms), once dead */
  f?: number
}

/** A stored record: the meta JSON line, then the payload exactly as pushed. */
export function encodeRecord(meta: JobMeta, payload: string): string {
  return `${JSON.stringify(meta)}\n${payload}`
}

/** A stored record back into its meta and payload. */
export function splitRecord(record: string): { meta: JobMeta; payload: string } {
  const nl = record.indexOf('\n')
  return { meta: JSON.parse(record.slice(0, nl)) as JobMeta, payload: record.slice(nl + 1) }
}

/** 2026-01-01T00:00:00Z: ticks count from here so that scores stay exact integers for decades. */
const EPOCH_MS = Date.UTC(2026, 0, 1)
let lastTick = 0

/** Now, in 100 µs ticks since EPOCH_MS; never goes backwards within a process (FIFO for its pushes). */
export function nowTick(): number {
  const t = Math.floor((performance.timeOrigin + performance.now() - EPOCH_MS) * 10)
  lastTick = Math.max(lastTick, t)
  return lastTick
}

/** Milliseconds as ticks. */
export const msToTicks = (ms: number): number => ms * 10

/** A tick back to epoch milliseconds. */
export const tickToMs = (tick: number): number => EPOCH_MS + tick / 10

/** The score of a job available at `tick` (not leased) after `attempts` attempts. */
export const readyScore = (tick: number, attempts = 0): number => tick * 1000 + attempts

/** The highest score of a job ready at `tick`. */
export const readyMax = (tick: number): number => tick * 1000 + 999

/** The base score of a lease ending at `tick` (the claim adds the attempt number). */
export const leaseScore = (tick: number): number => tick * 1000 + 100

/** Parts of a score. */
export function parseScore(score: number): { tick: number; leased: boolean; attempts: number } {
  return { tick: Math.floor(score / 1000), leased: Math.floor(score / 100) % 10 === 1, attempts: score % 100 }
}
