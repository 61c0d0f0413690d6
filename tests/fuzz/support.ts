/**
 * Shared settings of the fuzz tests (tests/fuzz): one seed per file run, printed at start, and a
 * bounded number of runs per property.
 *
 *   FUZZ_SEED=1234 npx vitest run tests/fuzz      replays a run (the seed each file prints)
 *   FUZZ_RUNS=500 npx vitest run tests/fuzz       scales every property (default: each one's own count)
 *
 * On a failure fast-check prints `seed` and `path`: `FUZZ_SEED=<seed>` replays the whole property;
 * fc.assert's `path` (pass it with FUZZ_PATH=<path>) jumps straight to the shrunk counterexample.
 */
import { request as httpRequest } from 'node:http'
import fc from 'fast-check'

function envInt(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer (got ${JSON.stringify(raw)})`)
  return n
}

/** This file's seed: FUZZ_SEED, else a fresh one. Printed once so any run can be replayed. */
export function fuzzSeed(label: string): number {
  const seed = envInt('FUZZ_SEED') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0
  console.log(
    `[fuzz] ${label}: seed ${seed} (replay with FUZZ_SEED=${seed}${process.env.FUZZ_RUNS ? ` FUZZ_RUNS=${process.env.FUZZ_RUNS}` : ''})`,
  )
  return seed
}

/** Runs for a property: its default, scaled by FUZZ_RUNS/100 when FUZZ_RUNS is set (so FUZZ_RUNS=100 = the defaults). */
export function runs(defaultRuns: number): number {
  const scale = envInt('FUZZ_RUNS')
  return scale === undefined ? defaultRuns : Math.max(1, Math.round((defaultRuns * scale) / 100))
}

/** fc.assert parameters: the file's seed, a bounded run count, the replay path when given, and a summary on failure. */
export function params<T>(seed: number, numRuns: number): fc.Parameters<T> {
  const path = process.env.FUZZ_PATH
  return { seed, numRuns: runs(numRuns), ...(path ? { path } : {}), verbose: 1 }
}

/** Counts what a file sent, for the summary it prints at the end. */
export class Tally {
  requests = 0
  readonly statuses = new Map<number, number>()
  count(status: number): void {
    this.requests++
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
  }
  summary(): string {
    const s = [...this.statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')
    return `${this.requests} requests (${s})`
  }
}

/** Every request of a fuzz run is bounded: past this, it is a hang (and a failure). */
export const REQUEST_TIMEOUT_MS = 5_000

/** Strings meant to break parsers, keys and logs. */
export const hostileStrings: string[] = [
  '',
  ' ',
  '*',
  '?',
  '[a-z]*',
  ':',
  '::',
  'a:b:c',
  '{}',
  '{tag}key',
  '{',
  '}',
  '\n',
  'a\r\nSET pwned 1\r\n',
  '*1\r\n$4\r\nPING\r\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '😀',
  '\u202Eevil',
  '\u200B',
  '\uFEFF',
  '%',
  '%00',
  '%2F',
  '..',
  '../..',
  '/',
  '//',
  '\\',
  '"',
  "'",
  '`',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  'é',
  'e\u0301',
  'x'.repeat(1000),
]

/** Any string, biased towards the hostile ones and odd Unicode (lone surrogates included). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  // Raw UTF-16 code units: lone and swapped surrogates included.
  {
    weight: 2,
    arbitrary: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((u) => String.fromCharCode(...u)),
  },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...hostileStrings), { maxLength: 4 }).map((a) => a.join('')) },
)

/** Any JSON-ish value, including odd shapes (prototype keys, deep-ish nesting, big numbers). */
export const anyJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, false, 0, -0, 1e308, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, [], {}, [[]], [{}]),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'toString', 'title', 'status', 'tenantId', 'id'),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 3 },
  ),
  hostileString,
)

/** `depth` levels of arrays (or objects) around a value, built as text (JSON.stringify would recurse). */
export function nested(depth: number, kind: 'array' | 'object' = 'array', inner = '1'): string {
  return kind === 'array'
    ? '['.repeat(depth) + inner + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + inner + '}'.repeat(depth)
}

export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: unknown
}

/**
 * One HTTP request over node:http: any method, any header, the path byte for byte (fetch would
 * normalise `..`, `%2e%2e`, and refuse some methods), bounded by REQUEST_TIMEOUT_MS (past it: a hang,
 * which fails the caller). `tally` counts the answer.
 */
export function httpSend(
  base: string,
  path: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
  tally?: Tally,
): Promise<RawAnswer> {
  const url = new URL(base)
  const headers: Record<string, string> = { ...init.headers }
  const body = init.body === undefined ? undefined : Buffer.from(init.body as never)
  if (body) headers['content-length'] = String(body.length)
  const method = init.method ?? (body ? 'POST' : 'GET')
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        clearTimeout(timer)
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        tally?.count(res.statusCode!)
        resolve({ status: res.statusCode!, headers: res.headers, text, json })
      })
      res.on('error', reject)
    })
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${method} ${path.slice(0, 200)}`))
    }, REQUEST_TIMEOUT_MS)
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    req.end(body)
  })
}
