/**
 * Hostile input against the local Upstash-compatible endpoint, raw HTTP (property-based, fast-check):
 * random and malformed bodies, huge and deeply nested JSON, odd Unicode and lone surrogates, keys
 * with glob and hash-tag characters, NUL and binary, wrong types in command arrays, path-style routes
 * with odd segments, bad headers (Upstash-Encoding, Content-Type, Authorization), random methods and
 * malformed HTTP on a raw socket.
 *
 * Asserted for every request: a clear 4xx (or 200 with well-formed `{"result"}`/`{"error"}` entries
 * where the protocol says so), never a 5xx, an answer within REQUEST_TIMEOUT_MS; a request refused
 * before Redis sends nothing to Redis (INFO commandstats unchanged); nothing written but what a valid
 * command writes (canary keys and DBSIZE); the endpoint still serves and holds no connection afterwards.
 *
 * Seed printed at start; FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH replay or scale (tests/fuzz/support.ts).
 */
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { directClient } from '../../testing/redis-direct'
import { startStack, type Stack } from '../../testing/stack'
import {
  anyJsonValue,
  fuzzSeed,
  hostileString,
  hostileStrings,
  httpSend,
  nested,
  params,
  type RawAnswer,
  REQUEST_TIMEOUT_MS,
  Tally,
} from './support'

const seed = fuzzSeed('endpoint')
const tally = new Tally()
let stack: Stack
let direct: Awaited<ReturnType<typeof directClient>>
/** Keys that exist before the run and must be exactly the same after it. */
const CANARIES: Record<string, string> = { 'canary:string': 'keep-me', 'canary:{tag}:x': 'tagged', 'canary:*': 'glob' }
let baselineKeys = 0

beforeAll(async () => {
  stack = await startStack()
  direct = await directClient(stack.env.REDIS_URL)
  for (const [k, v] of Object.entries(CANARIES)) await direct.set(k, v)
  await direct.hSet('canary:hash', { a: '1', b: '2' })
  await direct.rPush('canary:list', ['x', 'y'])
  baselineKeys = await direct.dbSize()
})
afterAll(async () => {
  console.log(`[fuzz] endpoint: ${tally.summary()}`)
  await direct?.close()
  await stack?.stop()
})

type Answer = RawAnswer

/** One request to the endpoint (the shared httpSend: any method, header and bytes, bounded in time), with the token unless `auth` says otherwise. */
function send(
  path: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string>; auth?: string | false } = {},
): Promise<Answer> {
  const { auth = `Bearer ${stack.env.UPSTASH_REDIS_REST_TOKEN}`, ...rest } = init
  const headers = { ...rest.headers, ...(auth !== false ? { authorization: auth } : {}) }
  return httpSend(stack.env.UPSTASH_REDIS_REST_URL, path, { ...rest, headers }, tally)
}

const post = (path: string, body: string | Uint8Array, headers?: Record<string, string>) =>
  send(path, { method: 'POST', body, headers })

/** Commands Redis has executed so far (INFO commandstats), not counting INFO itself. */
async function executed(): Promise<number> {
  const info = (await direct.sendCommand(['INFO', 'commandstats'])) as string
  let total = 0
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2])
  return total
}

/** The run's invariant: the canaries and the key count as before (fuzz keys are deleted by the properties that write them). */
async function expectUntouched(): Promise<void> {
  for (const [k, v] of Object.entries(CANARIES)) expect(await direct.get(k)).toBe(v)
  expect(await direct.hGetAll('canary:hash')).toEqual({ a: '1', b: '2' })
  expect(await direct.lRange('canary:list', 0, -1)).toEqual(['x', 'y'])
  expect(await direct.dbSize()).toBe(baselineKeys)
}

/** A 4xx with a JSON `{"error": "<non-empty string>"}` body. */
function expectClearRefusal(a: Answer, statuses: number[] = [400]): void {
  expect(statuses, `${a.status} ${a.text.slice(0, 300)}`).toContain(a.status)
  expect(a.json, a.text.slice(0, 300)).toEqual({ error: expect.any(String) })
  expect((a.json as { error: string }).error.length).toBeGreaterThan(0)
}

/** 405 with Allow for a method Node's parser knows, its bare 400 for one it does not. */
const NODE_METHODS = new Set([
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'PROPFIND',
  'MKCOL',
  'LOCK',
  'PURGE',
  'SEARCH',
  'REPORT',
  'SOURCE',
  'COPY',
  'MOVE',
  'UNLOCK',
  'BIND',
  'LINK',
  'ACL',
  'MERGE',
  'NOTIFY',
  'TRACE',
  'QUERY',
  'UNBIND',
  'UNLINK',
  'REBIND',
  'CHECKOUT',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'MKACTIVITY',
  'MSEARCH',
  'MKCALENDAR',
  'PROPPATCH',
])
function expectClearOr(a: Answer, method: string): void {
  if (NODE_METHODS.has(method)) {
    expect(a.status, method).toBe(405)
    expect(String(a.headers.allow)).toMatch(/GET, POST/)
    if (method !== 'HEAD') expectClearRefusal(a, [405])
  } else {
    expect([400, 405], method).toContain(a.status)
  }
}

/** One protocol entry: exactly `{"result": …}` or `{"error": "<string>"}`. */
function expectEntry(entry: unknown): void {
  expect(entry).toBeTypeOf('object')
  const keys = Object.keys(entry as object)
  expect(keys.length, JSON.stringify(entry)).toBe(1)
  if (keys[0] === 'error') expect((entry as { error: unknown }).error).toBeTypeOf('string')
  else expect(keys[0]).toBe('result')
}

/** What the endpoint itself checks before Redis: a non-empty array, a string name, then strings/numbers/booleans. */
function isCommandShape(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    typeof v[0] === 'string' &&
    v.slice(1).every((a) => ['string', 'number', 'boolean'].includes(typeof a))
  )
}

function parses(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/** Bodies: random bytes, random JSON values, broken JSON, commands with wrong argument types. */
const badArg = fc.oneof(
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 2 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 3 }),
)
const commandName = fc.constantFrom(
  'SET',
  'GET',
  'DEL',
  'HSET',
  'LPUSH',
  'ZADD',
  'EVAL',
  'INCR',
  'set',
  'Set',
  'FLUSHALL',
  'PING',
)
/** A command the endpoint must refuse by shape: some argument is null, an object or an array; or no/non-string name. */
const wrongTypes = fc.oneof(
  fc
    .tuple(commandName, fc.array(fc.oneof(hostileString, badArg), { maxLength: 4 }), badArg, fc.nat(4))
    .map(([name, args, bad, at]) => {
      const out: unknown[] = [name, ...args]
      out.splice(1 + Math.min(at, args.length), 0, bad)
      return out
    }),
  fc
    .tuple(fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), badArg), fc.array(hostileString, { maxLength: 3 }))
    .map(([name, args]) => [name, ...args]),
  fc.constantFrom([], {}, null, 'SET', 1, true, { 0: 'SET', length: 1 }),
)
const brokenJson = fc.oneof(
  fc.constantFrom(
    '',
    '[',
    ']',
    '["SET"',
    '["SET","k",]',
    "['SET','k','v']",
    '[SET]',
    '{"0":"PING"}',
    '["PING"]]',
    'null',
    'NaN',
    '[Infinity]',
    '["\\ud800',
    '["\\u00"]',
    '\u0000',
    '\ufeff["PING"]',
    '["PING"] trailing',
  ),
  fc.string({ maxLength: 60 }),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
)
const rawBytes = fc.uint8Array({ maxLength: 300 })

describe('bodies of POST /, /pipeline and /multi-exec', () => {
  it('refuses what is not a command with a clear 400 and sends nothing to Redis', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/', '/pipeline', '/multi-exec'),
        fc.oneof(
          wrongTypes.map((c) => JSON.stringify(c) ?? 'undefined'),
          brokenJson,
          rawBytes.map((b) => Buffer.from(b).toString('latin1')),
          anyJsonValue.map((v) => JSON.stringify(v) ?? 'null'),
        ),
        fc.boolean(),
        async (route, text, wrapInPipeline) => {
          // For the pipeline routes, the same thing as the only command, or next to a valid one.
          const body = route !== '/' && wrapInPipeline ? `[["SET","fuzz:should-not-exist","1"],${text}]` : text
          const parsed = parses(body)
          const valid =
            parsed.ok &&
            (route === '/'
              ? isCommandShape(parsed.value)
              : Array.isArray(parsed.value) && parsed.value.length > 0 && parsed.value.every(isCommandShape))
          if (valid) return // a well-formed command after all: covered by the properties below
          const before = await executed()
          const a = await post(route, body)
          expectClearRefusal(a)
          expect(await executed(), `${route} ${body.slice(0, 200)}: reached Redis`).toBe(before)
        },
      ),
      params(seed, 150),
    )
    expect(await direct.exists('fuzz:should-not-exist')).toBe(0)
    await expectUntouched()
  })

  it('answers random but well-formed commands with 200/400 and well-formed entries, never a 5xx', async () => {
    // Read-only and harmless names, random arguments: Redis's own errors come back as entries.
    const name = fc.oneof(
      fc.constantFrom(
        'GET',
        'MGET',
        'EXISTS',
        'TYPE',
        'STRLEN',
        'TTL',
        'HGET',
        'HGETALL',
        'LRANGE',
        'ZRANGE',
        'ECHO',
        'PING',
        'SCAN',
        'KEYS',
        'OBJECT',
        'DUMP',
        'GETRANGE',
        'BITCOUNT',
        'SMEMBERS',
        'XRANGE',
        'JSON.GET',
        'COMMAND',
        'TIME',
        'EVALSHA',
        'SCRIPT',
        'get',
        'gEt',
      ),
      fc.constantFrom(
        'SUBSCRIBE',
        'MULTI',
        'EXEC',
        'WATCH',
        'SELECT',
        'AUTH',
        'HELLO',
        'CONFIG',
        'DEBUG',
        'SHUTDOWN',
        'MONITOR',
        'CLIENT',
        'ACL',
        'QUIT',
        'RESET',
      ),
      hostileString,
    )
    const cmd = fc
      .tuple(
        name,
        fc.array(
          fc.oneof(
            hostileString,
            fc.integer(),
            fc.double({
              noNaN: true,
              noDefaultInfinity: true,
            }) /* JSON has no Infinity or NaN: they would become null, a malformed argument */,
            fc.boolean(),
          ),
          { maxLength: 5 },
        ),
      )
      .map(([n, a]) => [n, ...a])
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/', '/pipeline', '/multi-exec'),
        fc.array(cmd, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (route, cmds, base64) => {
          // SHUTDOWN/CLIENT/SCRIPT arguments are random, but a few would be harmful if ever let through: refused by the endpoint.
          const body = JSON.stringify(route === '/' ? cmds[0] : cmds)
          const a = await post(route, body, base64 ? { 'upstash-encoding': 'base64' } : {})
          expect([200, 400], `${route} ${body.slice(0, 300)} → ${a.status} ${a.text.slice(0, 300)}`).toContain(a.status)
          if (route === '/') {
            expectEntry(a.json)
            expect(a.status).toBe('error' in (a.json as object) ? 400 : 200)
          } else if (route === '/pipeline') {
            expect(a.status).toBe(200)
            expect(Array.isArray(a.json)).toBe(true)
            expect((a.json as unknown[]).length).toBe(cmds.length)
            for (const e of a.json as unknown[]) expectEntry(e)
          } else if (a.status === 400) {
            expectClearRefusal(a)
          } else {
            expect((a.json as unknown[]).length).toBe(cmds.length)
            for (const e of a.json as unknown[]) expectEntry(e)
          }
        },
      ),
      params(seed, 120),
    )
    // The endpoint still answers PING on its shared connection (no state leaked: SELECT, CLIENT REPLY… refused).
    expect((await post('/', '["PING"]')).json).toEqual({ result: 'PONG' })
    await expectUntouched()
  })

  it('refuses huge and deeply nested JSON without falling over', async () => {
    for (const route of ['/', '/pipeline', '/multi-exec']) {
      for (const depth of [1_000, 100_000, 1_000_000]) {
        for (const kind of ['array', 'object'] as const) {
          const before = await executed()
          const a = await post(route, nested(depth, kind, '"PING"'))
          expectClearRefusal(a, [400, 413])
          expect(await executed()).toBe(before)
        }
      }
      // A command whose argument nests deeply, and a pipeline whose command does.
      expectClearRefusal(
        await post(route, route === '/' ? `["SET","k",${nested(50_000)}]` : `[["SET","k",${nested(50_000)}]]`),
      )
    }
    // Over --max-body (10 MB): 413, and the process is still there.
    const huge = `["SET","fuzz:huge","${'x'.repeat(10 * 1024 * 1024)}"]`
    expectClearRefusal(await post('/', huge), [413])
    // Over --max-commands (10 000), as many tiny commands.
    expectClearRefusal(await post('/pipeline', `[${Array(10_001).fill('["PING"]').join(',')}]`), [413])
    expect(await direct.exists('fuzz:huge')).toBe(0)
    // Many keys (wide, not deep) is a valid, if odd, command.
    const wide = await post(
      '/',
      JSON.stringify(['EXISTS', ...Array.from({ length: 50_000 }, (_, i) => `fuzz:none:${i}`)]),
    )
    expect(wide.json).toEqual({ result: 0 })
    await expectUntouched()
  })
})

/** Bytes as UTF-8 encodes them: what Redis stores for a JS string (a lone surrogate becomes U+FFFD). */
const utf8 = (s: string) => Buffer.from(s, 'utf8')

describe('hostile keys and values', () => {
  it('stores and returns them byte for byte, as literal keys, through every route and encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileString.filter((s) => s.length > 0),
          fc.constantFrom(...hostileStrings.filter((s) => s.length > 0)),
        ),
        hostileString,
        // At least one byte: an empty POST body is no body, and /set/<key> alone is Redis's 400 (checked below).
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (key, value, bytes) => {
          const k = `fuzz:${key}`
          try {
            // POST / with JSON.
            const set = await post('/', JSON.stringify(['SET', k, value]))
            expect(set.json, set.text).toEqual({ result: 'OK' })
            // The key is exactly its UTF-8 bytes, nothing else was created, and glob characters matched nothing else.
            expect(await direct.exists(k)).toBe(1)
            expect(await direct.dbSize()).toBe(baselineKeys + 1)
            // Plain: the value as UTF-8 text; base64: its exact bytes.
            expect((await post('/', JSON.stringify(['GET', k]))).json).toEqual({ result: utf8(value).toString('utf8') })
            const b64 = await post('/', JSON.stringify(['GET', k]), { 'upstash-encoding': 'base64' })
            expect(Buffer.from((b64.json as { result: string }).result, 'base64')).toEqual(utf8(value))
            // Path style: the key URL-encoded, the binary value as the POST body, byte for byte.
            const path = `/set/${encodeURIComponent(k.toWellFormed())}`
            const setPath = await send(path, { method: 'POST', body: bytes })
            expect(setPath.json, setPath.text).toEqual({ result: 'OK' })
            expect(await direct.dbSize()).toBe(baselineKeys + 1)
            const empty = await send(path, { method: 'POST', body: new Uint8Array(0) })
            expect(empty.json).toEqual({ error: expect.stringMatching(/wrong number of arguments/) })
            expect(empty.status).toBe(400)
            const get = await send(`/get/${encodeURIComponent(k.toWellFormed())}`, {
              headers: { 'upstash-encoding': 'base64' },
            })
            expect(Buffer.from((get.json as { result: string }).result, 'base64')).toEqual(Buffer.from(bytes))
            // In a pipeline, next to a command that fails: each entry its own.
            const p = await post(
              '/pipeline',
              JSON.stringify([
                ['GET', k],
                ['HGET', k, 'f'],
                ['STRLEN', k],
              ]),
              { 'upstash-encoding': 'base64' },
            )
            expect(p.status).toBe(200)
            const [g, wrong, len] = p.json as [{ result: string }, { error: string }, { result: number }]
            expect(Buffer.from(g.result, 'base64')).toEqual(Buffer.from(bytes))
            expect(wrong.error).toMatch(/^WRONGTYPE/)
            expect(len).toEqual({ result: bytes.length })
          } finally {
            expect((await post('/', JSON.stringify(['DEL', k]))).json).toEqual({ result: 1 })
          }
        },
      ),
      params(seed, 100),
    )
    await expectUntouched()
  })

  it('answers hostile arguments to pattern and script commands with entries, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileString.map((p) => ['KEYS', p]),
          hostileString.map((p) => ['SCAN', '0', 'MATCH', p, 'COUNT', '1000']),
          hostileString.map((s) => ['EVAL', s, '0']),
          hostileString.map((s) => ['EVAL', `#!lua flags=${s}\nreturn 1`, '0']),
          hostileString.map((s) => ['EVAL', `#!lua flags=allow-key-locking,${s}\nreturn 1`, '0']),
          hostileString.map((s) => ['EVALSHA', s, '0']),
          fc.array(hostileString, { maxLength: 3 }).map((a) => ['SCRIPT', 'EXISTS', ...a]),
          hostileString.map((s) => ['SCRIPT', s]),
          hostileString.map((s) => ['CLIENT', s]),
          hostileString.map((s) => ['OBJECT', s, 'canary:string']),
          hostileString.map((s) => ['COMMAND', 'INFO', s]),
        ),
        fc.boolean(),
        async (cmd, base64) => {
          const a = await post('/', JSON.stringify(cmd), base64 ? { 'upstash-encoding': 'base64' } : {})
          expect([200, 400], `${JSON.stringify(cmd).slice(0, 200)} → ${a.status} ${a.text.slice(0, 200)}`).toContain(
            a.status,
          )
          expectEntry(a.json)
        },
      ),
      params(seed, 120),
    )
    expect((await post('/', '["PING"]')).json).toEqual({ result: 'PONG' })
    await expectUntouched()
  })
})

describe('path-style routes, methods and headers', () => {
  /** A path segment: plain, hostile (encoded or not), or broken percent-encoding. */
  const segment = fc.oneof(
    hostileString.map((s) => encodeURIComponent(s.toWellFormed())),
    fc.constantFrom(
      '',
      '.',
      '..',
      '%',
      '%zz',
      '%ED%A0%80',
      '%C0%AF',
      '%FF',
      '%00',
      '%2F',
      '%2e%2e',
      '*',
      ':',
      '{}',
      '%0A',
      '%0D%0A',
      '~',
      ';',
      '@',
    ),
    fc.stringMatching(/^[A-Za-z0-9%._~-]{0,20}$/),
  )
  const first = fc.oneof(
    fc.constantFrom(
      'get',
      'GET',
      'exists',
      'strlen',
      'ttl',
      'type',
      'echo',
      'ping',
      'hget',
      'hgetall',
      'lrange',
      'mget',
      'dbsize',
      'time',
      'pipeline',
      'multi-exec',
      'command',
      'keys',
    ),
    // (FLUSHALL/FLUSHDB are ordinary commands on Upstash too: not in this list, the run's canaries would go.)
    fc.constantFrom('set', 'del', 'config', 'debug', 'shutdown', 'select', 'client', 'multi', 'monitor'),
    segment,
  )

  it('answers every odd path with 200 or a clear 4xx, and writes only when asked', async () => {
    await fc.assert(
      fc.asyncProperty(
        first,
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom('GET', 'POST'),
        fc.oneof(fc.constant(''), fc.constantFrom('?', '?_token=x', '?a=%zz', '?_token=&_token=', '#frag', '?x=1&y')),
        async (name, rest, method, tail) => {
          // Writes are checked by the key count: the fuzz only writes under fuzz:, and cleans up.
          const path = `/${[name, ...rest].join('/')}${tail}`
          const before = await direct.dbSize()
          const a = await send(path, { method })
          expect(a.status, `${method} ${path} → ${a.status} ${a.text.slice(0, 200)}`).toBeLessThan(500)
          if (a.status === 200) {
            if (/^(pipeline|multi-exec)$/.test(name)) throw new Error(`${method} ${path} answered 200`)
            expectEntry(a.json)
          } else {
            expectClearRefusal(a, [400, 404, 405])
          }
          const lower = name.toLowerCase()
          if (lower !== 'set' && lower !== 'del')
            expect(await direct.dbSize(), `${method} ${path} changed the key count`).toBe(before)
          // Undo what a legitimate /set did (only under names the fuzz may write).
          if (lower === 'set' || lower === 'del') {
            for (const k of (await direct.keys('*')).filter((k) => !k.startsWith('canary:'))) await direct.del(k)
            for (const [k, v] of Object.entries(CANARIES)) await direct.set(k, v)
            await direct.del('canary:hash')
            await direct.hSet('canary:hash', { a: '1', b: '2' })
            await direct.del('canary:list')
            await direct.rPush('canary:list', ['x', 'y'])
          }
        },
      ),
      params(seed, 200),
    )
    await expectUntouched()
  })

  it('refuses any other method with 405 (and Allow), and anything without the token with 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom('GET', 'POST'),
          fc.constantFrom(
            'PUT',
            'DELETE',
            'PATCH',
            'OPTIONS',
            'HEAD',
            'PROPFIND',
            'MKCOL',
            'LOCK',
            'PURGE',
            'SEARCH',
            'REPORT',
            'SOURCE',
          ),
          fc.stringMatching(/^[A-Z]{1,10}$/),
        ),
        fc.constantFrom(
          '/',
          '/pipeline',
          '/multi-exec',
          '/get/canary:string',
          '/set/canary:string/pwned',
          '/flushall',
          '/subscribe/x',
        ),
        fc.oneof(
          fc.constant<string | false>(false),
          fc.constantFrom(
            'Bearer',
            'Bearer ',
            'bearer TOKEN',
            'Basic dXNlcjpwYXNz',
            'Bearer \u00e9',
            'Bearer ' + 'x'.repeat(8000),
          ),
          hostileString.map(
            (s) =>
              `Bearer ${Buffer.from(s)
                .toString('latin1')
                .replace(/[\u0000-\u0008\u000A-\u001F\u007F]/g, '')}`,
          ),
        ),
        async (method, path, auth) => {
          const known = ['GET', 'POST'].includes(method)
          const answered = await send(path, {
            method,
            auth: known ? auth : undefined,
            body: method === 'HEAD' ? undefined : '["SET","canary:string","pwned"]',
          })
          if (!known) {
            // Node's HTTP parser answers 400 itself for a method it does not know (e.g. "A"); the endpoint 405 for the others.
            expectClearOr(answered, method)
          } else {
            expect(answered.status, `${method} ${path} with ${String(auth).slice(0, 40)}`).toBe(401)
          }
        },
      ),
      params(seed, 120),
    )
    await expectUntouched()
  })

  it('reads any Upstash-Encoding, Content-Type or odd header as plain, never as a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(
            'base64',
            'BASE64',
            'Base64',
            'base64 ',
            'base32',
            'gzip',
            'identity',
            '',
            'base64, base64',
            '\t',
          ),
          fc.stringMatching(/^[ -~]{0,20}$/),
        ),
        fc.oneof(
          fc.constantFrom(
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            '',
            'application/json; charset=utf-16',
          ),
          fc.stringMatching(/^[ -~]{0,30}$/),
        ),
        hostileString,
        async (encoding, type, value) => {
          const k = 'fuzz:encoding'
          const headers = {
            'upstash-encoding': encoding,
            'content-type': type,
            'x-odd': Buffer.from(value.toWellFormed())
              .toString('latin1')
              .replace(/[\u0000-\u0008\u000A-\u001F\u007F]/g, ' '),
          }
          try {
            expect((await post('/', JSON.stringify(['SET', k, value]), headers)).json).toEqual({ result: 'OK' })
            const got = await post('/', JSON.stringify(['GET', k]), headers)
            expect(got.status).toBe(200)
            const result = (got.json as { result: string }).result
            // Exactly "base64" switches the encoding on; anything else is plain.
            // (Node trims a header value's surrounding spaces and tabs: "base64 " is "base64".)
            if (encoding.trim() === 'base64') expect(Buffer.from(result, 'base64')).toEqual(utf8(value))
            else expect(result).toBe(utf8(value).toString('utf8'))
            expect(got.headers['upstash-sync-token']).toMatch(/^\d+$/)
          } finally {
            await direct.del(k)
          }
        },
      ),
      params(seed, 80),
    )
    await expectUntouched()
  })

  it('survives malformed HTTP on a raw socket: each connection gets an answer or is closed, promptly', async () => {
    const url = new URL(stack.env.UPSTASH_REDIS_REST_URL)
    const token = stack.env.UPSTASH_REDIS_REST_TOKEN
    const rawRequest = (bytes: Buffer): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname)
        const chunks: Buffer[] = []
        const timer = setTimeout(() => {
          socket.destroy()
          reject(new Error(`raw request hung: ${JSON.stringify(bytes.toString('latin1').slice(0, 120))}`))
        }, REQUEST_TIMEOUT_MS)
        socket.on('data', (c) => {
          chunks.push(c)
          // One answer is enough (keep-alive would keep the socket open).
          if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) socket.end()
        })
        socket.on('close', () => {
          clearTimeout(timer)
          resolve(Buffer.concat(chunks).toString('latin1'))
        })
        socket.on('error', () => {})
        // Half-close: a server waiting for more of a body sees the end.
        socket.end(bytes)
      })
    const head = (lines: string[], body = '') => Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1')
    const auth = `Authorization: Bearer ${token}`
    const cases: Buffer[] = [
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Content-Length: 100'], '["PING"]'), // body shorter than declared
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Content-Length: 2'], '["PING"]'), // longer
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Content-Length: -1'], '["PING"]'),
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Content-Length: abc'], '["PING"]'),
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Content-Length: 8', 'Content-Length: 9'], '["PING"]'),
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Transfer-Encoding: chunked'], 'zz\r\n["PING"]\r\n0\r\n\r\n'),
      head(
        ['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Transfer-Encoding: chunked', 'Content-Length: 8'],
        '8\r\n["PING"]\r\n0\r\n\r\n',
      ),
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Transfer-Encoding: chunked'], '8\r\n["PING"]\r\n'), // never terminated
      head(
        ['POST /pipeline HTTP/1.1', 'Host: 127.0.0.1', auth, 'Transfer-Encoding: chunked'],
        `ffffffffffff\r\n[["PING"]]\r\n0\r\n\r\n`,
      ),
      head(['GET /ping HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${token}\u0000`]),
      head(['GET /ping HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer \u00ff\u00fe']),
      head(['GET /ping HTTP/1.1', 'Host: 127.0.0.1', auth, 'Upstash-Encoding: base64\u0001']),
      head(['GET /ping HTTP/1.1', auth]), // no Host
      head(['GET /ping HTTP/1.1', 'Host:', auth]),
      head(['GET /ping HTTP/1.1', 'Host: 127.0.0.1', 'Host: evil.example', auth]),
      head(['GET /ping HTTP/1.0', auth]),
      head(['GET /ping HTTP/9.9', 'Host: 127.0.0.1', auth]),
      head(['GET  /ping HTTP/1.1', 'Host: 127.0.0.1', auth]),
      head(['GET /p ing HTTP/1.1', 'Host: 127.0.0.1', auth]),
      head(['GET http://127.0.0.1/ping HTTP/1.1', 'Host: 127.0.0.1', auth]),
      head(['GET * HTTP/1.1', 'Host: 127.0.0.1', auth]),
      head(['GET /get/\u00e9\u0000 HTTP/1.1', 'Host: 127.0.0.1', auth]),
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, 'Content-Length: 8', 'Expect: 100-continue'], '["PING"]'),
      head(['POST / HTTP/1.1', 'Host: 127.0.0.1', auth, `X-Big: ${'a'.repeat(20_000)}`]),
      head(['GET /ping HTTP/1.1', 'Host: 127.0.0.1', auth, ...Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`)]),
      Buffer.from('\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003', 'latin1'), // a TLS ClientHello
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), // HTTP/2 preface
      Buffer.from('*1\r\n$4\r\nPING\r\n', 'latin1'), // RESP
      Buffer.alloc(0),
    ]
    const extra = fc
      .sample(fc.uint8Array({ minLength: 1, maxLength: 400 }), { seed, numRuns: 30 })
      .map((b) => Buffer.from(b))
    const withJunkHeaders = fc
      .sample(
        fc.array(fc.tuple(fc.stringMatching(/^[!-9;-~]{1,20}$/), fc.uint8Array({ maxLength: 40 })), { maxLength: 5 }),
        { seed, numRuns: 30 },
      )
      .map((hs) =>
        head(
          [
            'POST / HTTP/1.1',
            'Host: 127.0.0.1',
            auth,
            ...hs.map(
              ([k, v]) =>
                `${k}: ${Buffer.from(v)
                  .toString('latin1')
                  .replace(/[\r\n]/g, '')}`,
            ),
            'Content-Length: 8',
          ],
          '["PING"]',
        ),
      )
    for (const bytes of [...cases, ...extra, ...withJunkHeaders]) {
      const answer = await rawRequest(bytes)
      tally.count(Number(/^HTTP\/1\.\d (\d{3})/.exec(answer)?.[1] ?? 0))
      const status = /^HTTP\/1\.\d (\d{3})/.exec(answer)?.[1]
      // Either closed without an answer (the parser gave up) or an answer that is not a 5xx.
      if (status)
        expect(
          Number(status),
          `${JSON.stringify(bytes.toString('latin1').slice(0, 120))} → ${answer.slice(0, 200)}`,
        ).toBeLessThan(500)
    }
    await expectUntouched()
  })
})

describe('after the run', () => {
  it('still answers, holds no connection, and kept everything it should have', async () => {
    // A subscription with an odd channel streams, and frees its connection when the client leaves.
    const controller = new AbortController()
    const res = await fetch(`${stack.env.UPSTASH_REDIS_REST_URL}/subscribe/${encodeURIComponent('a\nb:*{}')}`, {
      headers: { authorization: `Bearer ${stack.env.UPSTASH_REDIS_REST_TOKEN}` },
      signal: controller.signal,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    controller.abort()
    await vi.waitFor(() => expect(stack.endpoint.busyConnections).toBe(0), { timeout: 5_000, interval: 20 })
    expect((await post('/', '["PING"]')).json).toEqual({ result: 'PONG' })
    expect((await send('/ping')).json).toEqual({ result: 'PONG' })
    const p = await post('/pipeline', '[["SET","fuzz:last","1"],["GET","fuzz:last"],["DEL","fuzz:last"]]')
    expect(p.json).toEqual([{ result: 'OK' }, { result: '1' }, { result: 1 }])
    await expectUntouched()
  })
})
