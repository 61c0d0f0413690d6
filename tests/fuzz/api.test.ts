/**
 * Hostile input against the app's API through the real production server (next build +
 * scripts/serve.ts), a seeded SQLite file and the run's redis-server behind the local endpoint:
 * random and malformed bodies for POST/PATCH /api/dossiers and POST /api/auth/login, odd ids in URLs,
 * the other cabinet's ids, query strings, forged / expired / replayed session cookies, forged
 * identity headers, odd methods and headers.
 *
 * Asserted for every request: a clear 4xx (JSON `{ error }`) or the documented success, never a 5xx,
 * an answer within REQUEST_TIMEOUT_MS; the schema decides what is created (the zod schemas are the
 * oracle); the other cabinet (Martin) is never changed and none of its dossier ids, references, titles
 * or client names ever appears in a response to Dupont (unless the request itself carried it); no
 * session is created but by a successful login; the server still answers its health check afterwards.
 *
 * Seed printed at start; FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH replay or scale (tests/fuzz/support.ts).
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { loginSchema } from '@/lib/auth/sessions'
import { dossierPatchSchema, newDossierSchema } from '@/lib/dossiers/schemas'
import { createPrismaClient } from '@/lib/core/prisma'
import { signSessionId } from '@/lib/auth/session-cookie'
import { TEST_SESSION_SECRET, type RunningApp } from '../../testing/app'

/** The session id in a `name=<id>.<signature>` cookie (the Redis key's last part). */
const sessionIdOf = (cookie: string) => cookie.split('=')[1]!.split('.')[0]!
import { tempDatabase } from '../../testing/database'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'
import { forgedIdentityHeader, startDemoApp } from '../support/app'
import { anyJsonValue, fuzzSeed, hostileString, httpSend, params, type RawAnswer, Tally } from './support'

const seed = fuzzSeed('api')
const tally = new Tally()
const db = tempDatabase('fuzz-api')
const prisma = createPrismaClient(db.url)
const prefix = uniquePrefix('fuzz')
const COOKIE = '__Host-iapm_session'
let app: RunningApp
let direct: Awaited<ReturnType<typeof directClient>>

/** Dupont's admin and Martin's admin, each with a session cookie. */
let dupontCookie: string
let martinCookie: string
/** Martin's data as seeded: must be exactly the same at the end. */
let martinSnapshot: unknown
/** What must never reach Dupont: Martin's dossier ids, references, titles and client names. */
let martinSecrets: string[] = []
let martinIds: string[] = []
let dupontIds: string[] = []
/** Dossiers the fuzz created (Dupont's): the only rows allowed to appear. */
const created = new Set<string>()

const sessionKeys = async () => (await direct.keys(`${prefix}:session:*`)).length

async function loginCookie(email: string): Promise<string> {
  const res = await httpSend(app.url, '/api/auth/login', {
    method: 'POST',
    body: JSON.stringify({ email, password: 'demo-password' }),
    headers: { 'content-type': 'application/json' },
  })
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${res.text}`)
  return cookieOf(res)!
}

/** The session cookie a response sets (`name=value`), '' when it clears it, undefined when it says nothing. */
function cookieOf(res: RawAnswer): string | undefined {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
  // The last one wins, as in a browser.
  const mine = set.filter((c) => c.startsWith(`${COOKIE}=`)).at(-1)
  if (!mine) return undefined
  const pair = mine.split(';')[0]!
  return pair.endsWith('=') ? '' : pair
}

const martinState = () =>
  prisma.dossier
    .findMany({ where: { tenantId: 'cabinet-martin' }, orderBy: { id: 'asc' }, include: { analyses: true } })
    .then(async (dossiers) => ({
      dossiers,
      tenant: await prisma.tenant.findUniqueOrThrow({ where: { id: 'cabinet-martin' } }),
      users: await prisma.user.findMany({ where: { tenantId: 'cabinet-martin' }, orderBy: { id: 'asc' } }),
    }))

beforeAll(async () => {
  app = await startDemoApp(db.url, prefix, {
    RATE_LIMIT_MAX: '1000000',
    LOGIN_MAX_PER_EMAIL: '100000',
    LOGIN_MAX_PER_EMAIL_AND_ADDRESS: '10000',
    // Small, so an expired session is a realistic case (and shortened further in Redis below).
    SESSION_TTL_SECONDS: '60',
  })
  direct = await directClient(inject('stack').REDIS_URL)
  dupontCookie = await loginCookie('demo@cabinet-dupont.fr')
  martinCookie = await loginCookie('demo@cabinet-martin.fr')
  martinSnapshot = await martinState()
  const martin = await prisma.dossier.findMany({ where: { tenantId: 'cabinet-martin' } })
  const dupont = await prisma.dossier.findMany({ where: { tenantId: 'cabinet-dupont' } })
  martinIds = martin.map((d) => d.id)
  dupontIds = dupont.map((d) => d.id)
  // A secret that also appears in Dupont's own data (a surname shared by a client, say) proves nothing.
  const dupontText = JSON.stringify(dupont)
  martinSecrets = [...new Set(martin.flatMap((d) => [d.id, d.reference, d.title, d.clientName]))].filter(
    (s) => s.length >= 6 && !dupontText.includes(s),
  )
  expect(martinSecrets.length).toBeGreaterThan(martin.length)
}, 240_000)
afterAll(async () => {
  console.log(`[fuzz] api: ${tally.summary()}`)
  await direct?.close()
  await app?.stop()
  await prisma.$disconnect()
  db.remove()
})

/** A request as Dupont (or as `cookie`), JSON by default. */
function call(
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
  cookie: string | null = dupontCookie,
): Promise<RawAnswer> {
  return httpSend(
    app.url,
    path,
    {
      method,
      body,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
    },
    tally,
  )
}

/**
 * Every answer: no 5xx, JSON `{ error }` for a 4xx, and nothing of Martin's unless the request
 * itself carried it (an id it asked for, a reference it sent back in a 409).
 */
function expectSafe(res: RawAnswer, request: string, allowed: number[]): void {
  const where = `${request.slice(0, 300)} → ${res.status}${res.headers.location ? ` (Location: ${res.headers.location})` : ''} ${res.text.slice(0, 300)}`
  expect(res.status, where).toBeLessThan(500)
  if (res.status === 307 || res.status === 308) {
    // Next's own redirects (308: trailing slash; 307: an `rsc: 1` request without its `_rsc` cache-buster):
    // to a path of this site, never elsewhere.
    expect(String(res.headers.location), where).toMatch(/^\/(?!\/)/)
  } else {
    expect(allowed, where).toContain(res.status)
  }
  // Next answers a method a route does not export with a bare 405 (empty body, before any handler runs),
  // and a path no route matches (`/api/nope`, `/api/dossiers/x/y/z`) with the app's not-found page (HTML or RSC).
  const framework = (res.status === 405 && res.text === '') || (res.status === 404 && res.json === undefined)
  if (res.status >= 400 && !framework) {
    expect(res.json, where).toEqual(expect.objectContaining({ error: expect.any(String) }))
  }
  for (const secret of martinSecrets) {
    if (res.text.includes(secret) && !request.includes(secret))
      throw new Error(`Martin's "${secret}" leaked to Dupont: ${where}`)
  }
}

/** Field values: valid ones, hostile strings, wrong types. */
const fieldValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'Bail commercial',
      'M. Durand',
      'OPEN',
      'IN_PROGRESS',
      'CLOSED',
      'ARCHIVED',
      'DUP-2099-001',
      'x',
    ),
  },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.string({ minLength: 150, maxLength: 260 }) },
  { weight: 2, arbitrary: anyJsonValue },
)
/** Objects with the dossier's fields (some), wrong types and intruders (tenantId, id, __proto__…). */
const dossierLike = fc.record(
  {
    title: fieldValue,
    clientName: fieldValue,
    reference: fc.oneof(fieldValue, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,20}$/)),
    description: fc.oneof(fieldValue, fc.constant(null), fc.constant('')),
    status: fieldValue,
    tenantId: fc.constantFrom('cabinet-martin', 'cabinet-dupont'),
    id: fc.constantFrom(...['x', 'cabinet-martin']),
    extra: anyJsonValue,
  },
  { requiredKeys: [] },
)
/** A body: JSON of a dossier-like object (mostly), any JSON, broken JSON, raw bytes. */
const body = fc.oneof(
  { weight: 6, arbitrary: dossierLike.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: anyJsonValue.map((v) => JSON.stringify(v) ?? 'null') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '{"title":',
      '{"title":"x","clientName":"y"',
      "{'title':'x'}",
      '{"title":"\\ud800","clientName":"y"}',
      '{"__proto__":{"title":"x"}}',
      '{"title":"x","title":"y","clientName":"z"}',
      'null',
      '[]',
      '\ufeff{}',
    ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')) },
)
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/json; charset=latin1',
      'application/x-www-form-urlencoded',
      'application/merge-patch+json',
      'APPLICATION/JSON',
      'application/jsonp',
      '',
      'multipart/form-data; boundary=x',
    ),
  },
)

function parsed(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}
const DEMO_EMAILS = [
  'demo@cabinet-dupont.fr',
  'avocat@cabinet-dupont.fr',
  'assistant@cabinet-dupont.fr',
  'demo@cabinet-martin.fr',
  'avocat@cabinet-martin.fr',
]
const isJsonType = (t: string) => /^application\/(.+\+)?json\s*(;|$)/i.test(t)

describe('POST /api/dossiers', () => {
  it('creates exactly what the schema accepts, in the caller cabinet, and refuses the rest with a clear 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, async (text, type) => {
        const before = await prisma.dossier.count()
        const res = await call('POST', '/api/dossiers', text, { 'content-type': type })
        const request = `POST /api/dossiers [${type}] ${text}`
        expectSafe(res, request, [201, 400, 409, 413, 415])
        const p = parsed(text)
        const accepted = isJsonType(type) && p.ok && newDossierSchema.safeParse(p.value).success
        if (res.status === 201) {
          expect(accepted, `${request}: created though the schema refuses it`).toBe(true)
          const dossier = (res.json as { dossier: { id: string; tenantId: string } }).dossier
          expect(dossier.tenantId).toBe('cabinet-dupont')
          created.add(dossier.id)
          expect(await prisma.dossier.count()).toBe(before + 1)
        } else {
          if (accepted) expect(res.status, `${request}: refused though valid`).toBe(409)
          expect(await prisma.dossier.count(), `${request}: wrote a row`).toBe(before)
        }
      }),
      params(seed, 120),
    )
    expect(await martinState()).toEqual(martinSnapshot)
  })

  it('always gives a dossier without a reference one of its own, whatever references were typed by hand', async () => {
    // Hand-typed references in the generated series (the next numbers, this year) must not make a later create fail.
    const year = new Date().getFullYear()
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }), async (numbers) => {
        const { referenceSeq } = await prisma.tenant.findUniqueOrThrow({ where: { id: 'cabinet-dupont' } })
        for (const n of numbers) {
          const reference = `DUP-${year}-${String(referenceSeq + n).padStart(3, '0')}`
          const res = await call(
            'POST',
            '/api/dossiers',
            JSON.stringify({ title: 'Série', clientName: 'M. Série', reference }),
          )
          expectSafe(res, reference, [201, 409])
          if (res.status === 201) created.add((res.json as { dossier: { id: string } }).dossier.id)
        }
        const res = await call(
          'POST',
          '/api/dossiers',
          JSON.stringify({ title: 'Sans référence', clientName: 'M. Série' }),
        )
        expectSafe(res, `after ${numbers}`, [201])
        created.add((res.json as { dossier: { id: string } }).dossier.id)
      }),
      params(seed, 15),
    )
  })
})

/** Ids in URLs: Martin's (as is, in another case, with junk around), odd strings, encodings, traversal. */
const oddId = fc.oneof(
  fc.constantFrom(
    'does-not-exist',
    '',
    '.',
    '..',
    '%2e%2e',
    '..%2F..%2Fapi%2Fhealth',
    '%00',
    '%ZZ',
    '%ED%A0%80',
    'a'.repeat(64),
    'a'.repeat(65),
    'a'.repeat(5000),
    '*',
    '%2A',
    '{}',
    '%7B%7D',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '1%0d%0aSet-Cookie:%20x=1',
    '%3Fstatus%3DOPEN',
    'x;y',
    'x,y',
    '~',
  ),
  hostileString.map((s) => encodeURIComponent(s.toWellFormed())),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
)
const martinId = () => fc.constantFrom(...martinIds)
const idLike = () =>
  fc.oneof(
    oddId,
    martinId(),
    martinId().map((id) => id.toUpperCase()),
    martinId().map((id) => `${id}%00`),
    martinId().map((id) => `${id}/`),
    martinId().map((id) => `${id}%2F..`),
    martinId().map((id) => ` ${id}`.replace(' ', '%20')),
    fc.tuple(martinId(), fc.constantFrom(...dupontIds)).map(([m, d]) => `${d}%2C${m}`),
  )

describe('odd ids, the other cabinet ids, odd query strings', () => {
  it('answers another cabinet id exactly as an unknown id on every route, and never changes it', async () => {
    const missing = async (method: string, suffix: string, b?: string) =>
      call(method, `/api/dossiers/does-not-exist-at-all${suffix}`, b)
    await fc.assert(
      fc.asyncProperty(
        idLike(),
        fc.constantFrom(
          ['GET', ''],
          ['PATCH', ''],
          ['DELETE', ''],
          ['POST', '/analyze'],
          ['GET', '/analysis'],
          ['PUT', ''],
          ['POST', ''],
          ['GET', '/analyze'],
          ['DELETE', '/analysis'],
        ),
        fc.oneof(fc.constant(JSON.stringify({ title: 'Piraté' })), body),
        async (id, [method, suffix], b) => {
          const withBody = method === 'PATCH' || method === 'POST' || method === 'PUT' ? b : undefined
          const path = `/api/dossiers/${id}${suffix}`
          const res = await call(method, path, withBody)
          // 200 only for a path that, once normalised, is the list or a route of one's own (traversal out of the id).
          expectSafe(res, `${method} ${path} ${withBody ?? ''}`, [200, 201, 202, 204, 400, 404, 405, 409, 413, 415])
          if (martinIds.some((m) => id === m || id.toUpperCase() === m.toUpperCase())) {
            const same = await missing(method, suffix, withBody)
            expect({ status: res.status, json: res.json }, `${method} ${path}`).toEqual({
              status: same.status,
              json: same.json,
            })
          }
          if ([201, 202].includes(res.status)) {
            const createdId = (res.json as { dossier?: { id: string } }).dossier?.id
            if (createdId) created.add(createdId)
          }
        },
      ),
      params(seed, 150),
    )
    expect(await martinState()).toEqual(martinSnapshot)
  })

  it('lists only the caller cabinet whatever the query string, or refuses it with 400', async () => {
    const query = fc.oneof(
      fc.constantFrom(
        '',
        '?',
        '?status=OPEN',
        '?status=open',
        '?status=',
        '?status=OPEN&status=CLOSED',
        '?status[$ne]=x',
        '?tenantId=cabinet-martin',
        '?tenant=cabinet-martin&status=OPEN',
        '?status=%00',
        '?status=%ZZ',
        '?%',
        '?&&&',
        '?status=OPEN#x',
        '?__proto__[status]=OPEN',
        `?status=${'A'.repeat(5000)}`,
      ),
      fc
        .tuple(fc.constantFrom('status', 'tenantId', 'q', '_rsc', '__proto__', 'status[]'), hostileString)
        .map(([k, v]) => `?${k}=${encodeURIComponent(v.toWellFormed())}`),
      fc.stringMatching(/^[?][ -~]{0,40}$/).map((q) => q.replace(/[ #]/g, '+')),
    )
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.constantFrom('/api/dossiers', '/api/dossiers/activity', '/api/leaderboard', '/api/auth/me'),
        async (q, route) => {
          const res = await call('GET', `${route}${q}`)
          expectSafe(res, `GET ${route}${q}`, [200, 400])
          const list = (res.json as { dossiers?: { tenantId?: string; id: string }[] }).dossiers
          if (list) for (const d of list) expect(martinIds).not.toContain(d.id)
        },
      ),
      params(seed, 100),
    )
  })
})

describe('PATCH /api/dossiers/:id', () => {
  it('changes the caller own dossier exactly as the schema says, and refuses the rest', async () => {
    const target = (
      (await (
        await call('POST', '/api/dossiers', JSON.stringify({ title: 'Cible', clientName: 'M. Cible' }))
      ).json) as { dossier: { id: string } }
    ).dossier.id
    created.add(target)
    await fc.assert(
      fc.asyncProperty(body, contentType, async (text, type) => {
        const before = await prisma.dossier.findUniqueOrThrow({ where: { id: target } })
        const res = await call('PATCH', `/api/dossiers/${target}`, text, { 'content-type': type })
        const request = `PATCH ${target} [${type}] ${text}`
        expectSafe(res, request, [200, 400, 413, 415])
        const p = parsed(text)
        const accepted = isJsonType(type) && p.ok ? dossierPatchSchema.safeParse(p.value) : undefined
        const after = await prisma.dossier.findUniqueOrThrow({ where: { id: target } })
        if (res.status === 200) {
          expect(accepted?.success, `${request}: applied though the schema refuses it`).toBe(true)
          expect(after).toMatchObject({
            ...(accepted!.data as object),
            tenantId: 'cabinet-dupont',
            reference: before.reference,
          })
        } else {
          expect(accepted?.success ?? false, `${request}: refused though valid`).toBe(false)
          expect(after, `${request}: changed the row`).toEqual(before)
        }
      }),
      params(seed, 100),
    )
    expect(await martinState()).toEqual(martinSnapshot)
  })
})

describe('POST /api/auth/login', () => {
  it('answers 400/401/415 to anything but the right pair, and opens no session', async () => {
    const sessionsBefore = await sessionKeys()
    const credentials = fc.record(
      {
        email: fc.oneof(
          fc.constantFrom(
            'demo@cabinet-martin.fr',
            'DEMO@cabinet-martin.fr ',
            'demo@cabinet-martin.fr\u0000',
            'demo@cabinet-martin.fr\n',
            'demo@cabinet-martin.fr\u200B',
            'démo@cabinet-martin.fr',
            '*@cabinet-martin.fr',
            'demo@cabinet-*.fr',
            "' OR 1=1 --",
          ),
          hostileString,
          fc.emailAddress(),
          anyJsonValue,
        ),
        password: fc.oneof(
          fc.constantFrom(
            '',
            'demo-password ',
            'Demo-password',
            'demo-password\u0000',
            'ｄｅｍｏ-password',
            'x'.repeat(1025),
          ),
          hostileString,
          anyJsonValue,
        ),
        extra: anyJsonValue,
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 6, arbitrary: credentials.map((c) => JSON.stringify(c)) }, { weight: 1, arbitrary: body }),
        contentType,
        fc.boolean(),
        async (text, type, withCookie) => {
          const res = await call(
            'POST',
            '/api/auth/login',
            text,
            { 'content-type': type },
            withCookie ? dupontCookie : null,
          )
          const request = `login [${type}] ${text}`
          expectSafe(res, request, [200, 400, 401, 413, 415])
          if (res.status === 200) {
            // Only the real pair (normalised the documented way: trim, lower case) gets in.
            const p = parsed(text)
            const c = p.ok ? loginSchema.safeParse(p.value) : undefined
            // Passwords are compared NFKC-normalised, by design: a full-width "ｄｅｍｏ-password" is the same password.
            // And scrypt's PBKDF2-HMAC zero-pads its key, so trailing NULs do not change the hash ("demo-password\0"
            // logs in: found by this fuzz, harmless, since it still takes the password; see the report).
            expect(
              c?.success &&
                DEMO_EMAILS.includes(c.data.email) &&
                c.data.password.normalize('NFKC').replace(/\0+$/, '') === 'demo-password',
              `${request}: logged in`,
            ).toBe(true)
            // That session must not linger.
            const cookie = cookieOf(res)!
            expect((await call('POST', '/api/auth/logout', undefined, {}, cookie)).status).toBe(200)
          } else {
            // No new session: the cookie is left alone, cleared, or (sent with one) the same session slid.
            expect(['', withCookie ? dupontCookie : ''], request).toContain(cookieOf(res) ?? '')
          }
          // A refused login never answers another cabinet's data.
          if (res.status !== 200) expect(res.text).not.toMatch(/cabinet-martin"|Cabinet Martin/)
        },
      ),
      params(seed, 60),
    )
    expect(await sessionKeys()).toBe(sessionsBefore)
  })
})

describe('session cookies', () => {
  const cookieValue = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_-]{32}$/), // well-formed, unknown
    fc.stringMatching(/^[A-Za-z0-9_-]{0,64}$/),
    fc.constantFrom(
      '',
      '""',
      '"x"',
      '%',
      '%00',
      'a;b',
      'a,b',
      '../',
      '*',
      `${prefix}:session:x`,
      'session:*',
      'x'.repeat(4000),
    ),
    hostileString.map((s) => encodeURIComponent(s.toWellFormed())),
  )
  /** Cookie headers: one forged cookie, duplicates, the dev name, a forged one next to a real one. */
  const cookieHeader = () =>
    fc.oneof(
      cookieValue.map((v) => `${COOKIE}=${v}`),
      cookieValue.map((v) => `iapm_session=${v}`),
      fc.tuple(cookieValue, cookieValue).map(([a, b]) => `${COOKIE}=${a}; ${COOKIE}=${b}`),
      cookieValue.map((v) => `${COOKIE}=${v}; ${martinCookie}`), // Martin's real cookie second: the first one counts
      fc.constantFrom(
        `${COOKIE}`,
        `${COOKIE}=`,
        `=${COOKIE}`,
        ';;;',
        `${COOKIE}=${martinCookie.split('=')[1]!.slice(0, 31)}`,
        `${COOKIE}=${martinCookie.split('=')[1]!.slice(0, 31)}A`,
      ),
    )
  it('refuses forged cookies with 401 (never someone else identity), creates no session, and clears the cookie', async () => {
    const sessionsBefore = await sessionKeys()
    await fc.assert(
      fc.asyncProperty(
        cookieHeader(),
        fc.constantFrom(
          ['GET', '/api/dossiers'],
          ['GET', '/api/auth/me'],
          ['POST', '/api/dossiers'],
          ['POST', '/api/auth/logout'],
          ['GET', `/api/dossiers/${martinIds[0]}`],
        ),
        async (cookie, route) => {
          // With Martin's real cookie in the header, a write would be Martin's own (and logout would end his session): read instead.
          const [method, path] = cookie.includes(martinCookie) ? ['GET', '/api/auth/me'] : route
          const res = await call(
            method!,
            path!,
            method === 'POST' ? JSON.stringify({ title: 'Forgé', clientName: 'X' }) : undefined,
            {},
            cookie,
          )
          const request = `${method} ${path} cookie: ${cookie}`
          // Martin's own cookie among them may legitimately be Martin's: then it is Martin answering, never Dupont.
          expectSafe({ ...res, text: cookie.includes(martinCookie) ? '' : res.text }, request, [200, 201, 401, 404])
          if (res.status === 201) created.add((res.json as { dossier: { id: string } }).dossier.id)
          if (res.status !== 401) {
            // Only a cookie header carrying Martin's real session can be anyone.
            expect(cookie.includes(martinCookie.split('=')[1]!), `${request}: accepted`).toBe(true)
            const me = await call('GET', '/api/auth/me', undefined, {}, cookie)
            expect((me.json as { user: { tenant: { id: string } } }).user.tenant.id).toBe('cabinet-martin')
          }
        },
      ),
      params(seed, 100),
    )
    expect(await martinState()).toEqual(martinSnapshot)
    expect(await sessionKeys()).toBe(sessionsBefore)
  })

  it('refuses a session once expired in Redis or after logout (replayed), and identity headers forged around it', async () => {
    for (let i = 0; i < 3; i++) {
      // Expired: the session's key given a 1 ms lifetime in Redis.
      const expired = await loginCookie('avocat@cabinet-dupont.fr')
      const key = `${prefix}:session:${sessionIdOf(expired)}`
      expect(await direct.ttl(key)).toBeGreaterThan(50)
      await direct.pExpire(key, 1)
      await vi.waitFor(async () => expect(await direct.exists(key)).toBe(0), { timeout: 2_000, interval: 2 })
      const late = await call('GET', '/api/dossiers', undefined, {}, expired)
      expectSafe(late, 'expired', [401])
      expect(cookieOf(late)).toBe('')
      // Nor does it come back: the 401 did not recreate it.
      expect(await direct.exists(key)).toBe(0)
      expectSafe(
        await call('POST', '/api/dossiers', JSON.stringify({ title: 'Expiré', clientName: 'X' }), {}, expired),
        'expired write',
        [401],
      )

      // Replayed after logout.
      const replayed = await loginCookie('avocat@cabinet-dupont.fr')
      expect((await call('POST', '/api/auth/logout', undefined, {}, replayed)).status).toBe(200)
      for (const [m, p] of [
        ['GET', '/api/dossiers'],
        ['POST', '/api/auth/logout'],
        ['GET', '/api/auth/me'],
        ['DELETE', `/api/dossiers/${dupontIds[0]}`],
      ] as const) {
        expectSafe(await call(m, p, undefined, {}, replayed), `replay ${m} ${p}`, [401])
      }
      expect(await direct.exists(`${prefix}:session:${sessionIdOf(replayed)}`)).toBe(0)
    }
    // A session whose stored value is not a session (corrupted, or another helper's data under that key): 401, not 500.
    for (const stored of [
      'not json',
      '{}',
      '{"userId":"u"}',
      JSON.stringify({ userId: 'x', tenantId: 'cabinet-martin', role: 'ROOT', email: 'x', name: 'x' }),
      '\u0000',
      '[]',
      'null',
    ]) {
      const id = 'Z'.repeat(31) + 'a'
      await direct.set(`${prefix}:session:${id}`, stored, { EX: 60 })
      // Signed as the server would, so that the lookup reaches what is stored.
      expectSafe(
        await call('GET', '/api/dossiers', undefined, {}, `${COOKIE}=${signSessionId(id, TEST_SESSION_SECRET)}`),
        `stored session ${stored}`,
        [401],
      )
      await direct.del(`${prefix}:session:${id}`)
    }
    // Forged identity headers, with no cookie, a forged one, or Dupont's own: never Martin's data.
    const forgedIdentity = fc.oneof(
      fc.constant(forgedIdentityHeader()),
      hostileString.map((s) => encodeURIComponent(s.toWellFormed())),
      anyJsonValue.map((v) => encodeURIComponent(JSON.stringify(v) ?? '')),
    )
    await fc.assert(
      fc.asyncProperty(
        forgedIdentity,
        fc.constantFrom<string | null>(null, dupontCookie, `${COOKIE}=${'A'.repeat(32)}`),
        async (identity, cookie) => {
          const res = await call(
            'GET',
            '/api/dossiers',
            undefined,
            {
              'x-iapm-identity': identity,
              'x-middleware-subrequest': 'middleware:middleware:middleware:middleware:middleware',
              'x-forwarded-for': '1.2.3.4, ::1',
            },
            cookie,
          )
          expectSafe(res, `identity ${identity}`, cookie === dupontCookie ? [200] : [401])
        },
      ),
      params(seed, 40),
    )
  })
})

describe('methods and headers', () => {
  it('answers odd methods and headers on every API route with a clear 4xx or the usual answer', async () => {
    const made = await call('POST', '/api/dossiers', JSON.stringify({ title: 'Méthodes', clientName: 'M. Méthode' }))
    expect(made.status, made.text).toBe(201)
    const own = (made.json as { dossier: { id: string } }).dossier.id
    created.add(own)
    const routes = [
      '/api/dossiers',
      `/api/dossiers/${own}`,
      `/api/dossiers/${martinIds[0]}`,
      '/api/auth/login',
      '/api/auth/logout',
      '/api/auth/me',
      '/api/dossiers/activity',
      '/api/leaderboard',
      '/api/queue',
      '/api/nope',
      '/api',
      '/api/dossiers/x/y/z',
    ]
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'SEARCH', 'POST'),
        fc.constantFrom(...routes),
        fc.record({
          origin: fc.constantFrom('null', 'https://evil.example', undefined),
          'sec-fetch-site': fc.constantFrom('cross-site', 'same-site', 'none', 'same-origin', undefined),
          'content-type': fc.constantFrom('application/json', 'text/plain', undefined),
          accept: fc.constantFrom('text/html', 'text/x-component', '*/*', undefined),
          rsc: fc.constantFrom('1', undefined),
          // Not fuzzed: a malformed `next-router-state-tree` with `rsc: 1` is a 500 inside Next 16 itself
          // ("The router state header was sent but could not be parsed"), on any page: reported, not ours to fix.
          'next-router-state-tree': fc.constantFrom(undefined),
          'next-action': fc.constantFrom('x', '0'.repeat(40), undefined),
          'x-forwarded-host': fc.constantFrom('evil.example', undefined),
        }),
        async (method, path, rawHeaders) => {
          const headers = Object.fromEntries(Object.entries(rawHeaders).filter(([, v]) => v !== undefined)) as Record<
            string,
            string
          >
          // A same-site POST /api/auth/logout with Dupont's cookie would end the session the rest of the file uses
          // (a seed that drew it failed the final check with a 401): logout is sent without a session here.
          const cookie = method === 'POST' && path === '/api/auth/logout' ? null : dupontCookie
          const res = await call(
            method,
            path,
            ['POST', 'PATCH', 'PUT'].includes(method) ? '{"title":"Méthode","clientName":"X"}' : undefined,
            headers,
            cookie,
          )
          const request = `${method} ${path} ${JSON.stringify(headers)}`
          const crossSite =
            !['GET', 'HEAD', 'OPTIONS'].includes(method) &&
            (headers.origin !== undefined || ['cross-site', 'same-site'].includes(headers['sec-fetch-site'] ?? ''))
          // (TRACE is refused before any of it, by the server itself: 405.)
          if (crossSite) expect(res.status, request).toBe(method === 'TRACE' ? 405 : 403)
          if (method === 'HEAD') {
            expect(res.status, request).toBeLessThan(500)
          } else if (
            (headers['next-action'] !== undefined || ['PROPFIND', 'SEARCH'].includes(method)) &&
            res.status === 400 &&
            res.json === undefined
          ) {
            // A request shaped as a server action that is not one, or a WebDAV method with a body and a forwarded
            // host: Next's own bare 400 ("Invalid Server Action request"), before the proxy.
            expectSafe({ ...res, json: { error: res.text } }, request, [400])
          } else {
            expectSafe(res, request, [200, 201, 204, 400, 401, 403, 404, 405, 409, 415])
          }
          if (res.status === 201) created.add((res.json as { dossier: { id: string } }).dossier.id)
          if (res.status === 204 && method === 'DELETE') created.delete(path.split('/').pop()!)
        },
      ),
      params(seed, 100),
    )
  })
})

describe('after the run', () => {
  it('still serves, Martin is untouched, and only the fuzz-created dossiers were added to Dupont', async () => {
    expect(app.child.exitCode).toBeNull()
    const health = await httpSend(app.url, '/api/health')
    expect(health.status).toBe(200)
    expect(health.json).toMatchObject({ status: 'ok' })
    expect(await martinState()).toEqual(martinSnapshot)
    const dupont = await prisma.dossier.findMany({ where: { tenantId: 'cabinet-dupont' }, select: { id: true } })
    const extra = dupont.map((d) => d.id).filter((id) => !dupontIds.includes(id))
    expect(new Set(extra)).toEqual(created)
    for (const id of dupontIds)
      expect(
        dupont.some((d) => d.id === id),
        `demo dossier ${id} gone`,
      ).toBe(true)
    expect(await prisma.user.count()).toBe(5)
    expect(await prisma.tenant.count()).toBe(2)
    // The logged-in admins still work, each seeing only their own.
    const mineRes = await call('GET', '/api/dossiers')
    expect(mineRes.status, mineRes.text.slice(0, 300)).toBe(200)
    const mine = mineRes.json as { dossiers: { tenantId: string }[] }
    expect(mine.dossiers.every((d) => d.tenantId === 'cabinet-dupont')).toBe(true)
    const theirsRes = await call('GET', '/api/dossiers', undefined, {}, martinCookie)
    expect(theirsRes.status, theirsRes.text.slice(0, 300)).toBe(200)
    const theirs = theirsRes.json as { dossiers: { tenantId: string }[] }
    expect(theirs.dossiers.every((d) => d.tenantId === 'cabinet-martin')).toBe(true)
    // Nothing the fuzz did was logged as an unexpected error.
    expect(app.output()).not.toMatch(/unexpected error|Unhandled|uncaught/i)
  })
})
