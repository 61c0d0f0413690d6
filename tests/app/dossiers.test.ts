/**
 * The dossier API through the real production server (next build + scripts/serve.ts), a real
 * SQLite file seeded with the demo cabinets, and the run's redis-server behind the local endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { Client, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { uniquePrefix } from '../../testing/stack'
import { createDossiersAtOnce, startDemoApp } from '../support/app'

const db = tempDatabase('dossiers')
const prisma = createPrismaClient(db.url)
let app: RunningApp
let dupont: Client
let martin: Client
/** A dossier of Cabinet Martin: Dupont must never see or touch it. */
let martinDossierId: string

beforeAll(async () => {
  app = await startDemoApp(db.url, uniquePrefix('dossiers'))
  dupont = new Client(app.url)
  martin = new Client(app.url)
  await dupont.login('demo@cabinet-dupont.fr')
  await martin.login('demo@cabinet-martin.fr')
  martinDossierId = (await prisma.dossier.findFirstOrThrow({ where: { tenantId: 'cabinet-martin' } })).id
})
afterAll(async () => {
  await app?.stop()
  await prisma.$disconnect()
  db.remove()
})

type DossierJson = {
  id: string
  reference: string
  title: string
  clientName: string
  status: string
  tenantId: string
  description: string | null
}
const list = async (c: Client, query = '') => {
  const res = await c.get(`/api/dossiers${query}`)
  expect(res.status).toBe(200)
  return { res, dossiers: ((await res.json()) as { dossiers: DossierJson[] }).dossiers }
}

describe('GET /api/dossiers', () => {
  it('answers 401 without a session', async () => {
    const res = await new Client(app.url).get('/api/dossiers')
    expect(res.status).toBe(401)
    expect((await res.json()).error).toMatch(/not logged in/)
  })

  it("lists the caller's cabinet only, newest first, with X-Cache MISS then HIT", async () => {
    const first = await list(dupont)
    expect(first.dossiers.length).toBe(await prisma.dossier.count({ where: { tenantId: 'cabinet-dupont' } }))
    expect(new Set(first.dossiers.map((d) => d.tenantId))).toEqual(new Set(['cabinet-dupont']))
    const times = first.dossiers.map((d) => Date.parse((d as unknown as { createdAt: string }).createdAt))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    const again = await list(dupont)
    expect(again.res.headers.get('x-cache')).toBe('HIT')
    expect(again.dossiers).toEqual(first.dossiers)
  })

  it("ignores a client-sent Redis budget header: a forged 'already spent' does not turn the cache off", async () => {
    await list(dupont) // warm
    // The proxy overwrites the header with what it spent itself; were it trusted, the route would skip Redis (a BYPASS).
    const res = await dupont.get('/api/dossiers', { 'x-iapm-redis-spent-ms': '99999999' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-cache')).toBe('HIT')
  })

  it('filters by ?status= and refuses an unknown status with 400 naming the field', async () => {
    const { dossiers } = await list(dupont, '?status=CLOSED')
    expect(dossiers.length).toBeGreaterThan(0)
    expect(dossiers.every((d) => d.status === 'CLOSED')).toBe(true)
    const bad = await dupont.get('/api/dossiers?status=FERME')
    expect(bad.status).toBe(400)
    expect((await bad.json()).issues[0]).toMatchObject({ path: 'status' })
    // Repeated or unknown parameters are refused, not guessed at.
    expect((await dupont.get('/api/dossiers?status=OPEN&status=CLOSED')).status).toBe(400)
    expect((await dupont.get('/api/dossiers?status[$ne]=x')).status).toBe(400)
  })
})

describe('POST /api/dossiers', () => {
  it('creates a dossier with a generated reference, and the cached list shows it at once', async () => {
    await list(dupont) // warm
    const res = await dupont.post('/api/dossiers', { title: 'Rupture conventionnelle Morel', clientName: 'Paul Morel' })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-cache-invalidation')).toBeNull()
    const { dossier } = (await res.json()) as { dossier: DossierJson }
    expect(dossier).toMatchObject({
      title: 'Rupture conventionnelle Morel',
      clientName: 'Paul Morel',
      status: 'OPEN',
      tenantId: 'cabinet-dupont',
    })
    expect(dossier.reference).toMatch(new RegExp(`^DUP-${new Date().getFullYear()}-\\d{3}$`))
    const after = await list(dupont)
    expect(after.res.headers.get('x-cache')).toBe('MISS')
    expect(after.dossiers[0]!.id).toBe(dossier.id)
    // Martin's cached list was not invalidated by Dupont's write.
    await list(martin)
    const martinAgain = await list(martin)
    expect(martinAgain.res.headers.get('x-cache')).toBe('HIT')
    expect(martinAgain.dossiers.some((d) => d.id === dossier.id)).toBe(false)
  })

  it('generates distinct references under concurrent creation', async () => {
    await createDossiersAtOnce(dupont, 8, (i) => ({ title: `Dossier parallèle ${i}`, clientName: 'SARL Test' }))
  })

  it('answers 400 naming each wrong field, and writes nothing', async () => {
    const before = await prisma.dossier.count()
    const missing = await dupont.post('/api/dossiers', { title: '' })
    expect(missing.status).toBe(400)
    const body = (await missing.json()) as { issues: { path: string; message: string }[] }
    expect(body.issues.map((i) => i.path).sort()).toEqual(['clientName', 'title'])
    const badStatus = await dupont.post('/api/dossiers', { title: 'X', clientName: 'Y', status: 'DONE' })
    expect((await badStatus.json()).issues[0].path).toBe('status')
    // The cabinet comes from the session: a tenantId in the body is refused, not obeyed.
    const injected = await dupont.post('/api/dossiers', { title: 'X', clientName: 'Y', tenantId: 'cabinet-martin' })
    expect(injected.status).toBe(400)
    expect((await injected.json()).error).toMatch(/tenantId/)
    const notJson = await dupont.post('/api/dossiers', '{oops')
    expect(notJson.status).toBe(400)
    expect((await notJson.json()).error).toMatch(/JSON/)
    const huge = await dupont.post('/api/dossiers', { title: 'X', clientName: 'Y', description: 'x'.repeat(100_000) })
    expect(huge.status).toBe(413)
    // Text that is not text: a lone surrogate, a right-to-left override, a zero-width space.
    for (const title of ['\ud800', 'Facture \u202Efdp.exe', 'Du\u200Bpont']) {
      const odd = await dupont.post('/api/dossiers', JSON.stringify({ title, clientName: 'Y' }))
      expect(odd.status).toBe(400)
      expect((await odd.json()).issues[0].path).toBe('title')
    }
    const notDeclaredJson = await dupont.post('/api/dossiers', JSON.stringify({ title: 'X', clientName: 'Y' }), {
      'content-type': 'text/plain',
    })
    expect(notDeclaredJson.status).toBe(415)
    expect(await prisma.dossier.count()).toBe(before)
  })

  it('answers 409 for a reference already used in the cabinet, but another cabinet may use it', async () => {
    const dup = await dupont.post('/api/dossiers', { reference: 'DUP-2026-001', title: 'Encore', clientName: 'Y' })
    expect(dup.status).toBe(409)
    expect((await dup.json()).error).toMatch(/DUP-2026-001/)
    const elsewhere = await martin.post('/api/dossiers', {
      reference: 'DUP-2026-001',
      title: 'Homonyme',
      clientName: 'Z',
    })
    expect(elsewhere.status).toBe(201)
  })
})

describe('GET | PATCH | DELETE /api/dossiers/:id', () => {
  it('reads, updates (the cached read changes at once) and deletes a dossier', async () => {
    const created = (
      (await (
        await dupont.post('/api/dossiers', { title: 'Bail commercial Roux', clientName: 'SAS Roux' })
      ).json()) as { dossier: DossierJson }
    ).dossier
    const read = await dupont.get(`/api/dossiers/${created.id}`)
    expect(read.status).toBe(200)
    expect((await dupont.get(`/api/dossiers/${created.id}`)).headers.get('x-cache')).toBe('HIT')

    const patched = await dupont.patch(`/api/dossiers/${created.id}`, {
      status: 'IN_PROGRESS',
      description: 'Audience le 12/03/2027',
    })
    expect(patched.status).toBe(200)
    expect((await patched.json()).dossier).toMatchObject({
      status: 'IN_PROGRESS',
      description: 'Audience le 12/03/2027',
      title: 'Bail commercial Roux',
    })
    const reread = await dupont.get(`/api/dossiers/${created.id}`)
    expect(reread.headers.get('x-cache')).toBe('MISS')
    expect((await reread.json()).dossier.status).toBe('IN_PROGRESS')

    const bad = await dupont.patch(`/api/dossiers/${created.id}`, {})
    expect(bad.status).toBe(400)
    expect((await dupont.patch(`/api/dossiers/${created.id}`, { status: 'nope' })).status).toBe(400)

    // An assistant may edit a dossier but not delete it.
    const assistant = new Client(app.url)
    await assistant.login('assistant@cabinet-dupont.fr')
    expect((await assistant.delete(`/api/dossiers/${created.id}`)).status).toBe(403)
    const del = await dupont.delete(`/api/dossiers/${created.id}`)
    expect(del.status).toBe(204)
    expect((await dupont.get(`/api/dossiers/${created.id}`)).status).toBe(404)
    expect((await list(dupont)).dossiers.some((d) => d.id === created.id)).toBe(false)
    expect((await dupont.delete(`/api/dossiers/${created.id}`)).status).toBe(404)
  })

  it("answers another cabinet's dossier exactly like a missing one (404) on every route, and changes nothing", async () => {
    const before = await prisma.dossier.findUniqueOrThrow({ where: { id: martinDossierId } })
    const missing = await dupont.get('/api/dossiers/does-not-exist')
    const answers = [
      await dupont.get(`/api/dossiers/${martinDossierId}`),
      await dupont.patch(`/api/dossiers/${martinDossierId}`, { title: 'Piraté' }),
      await dupont.delete(`/api/dossiers/${martinDossierId}`),
      await dupont.post(`/api/dossiers/${martinDossierId}/analyze`),
      await dupont.get(`/api/dossiers/${martinDossierId}/analysis`),
    ]
    const expected = await missing.json()
    for (const res of answers) {
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual(expected)
    }
    expect(await prisma.dossier.findUniqueOrThrow({ where: { id: martinDossierId } })).toEqual(before)
    expect(await prisma.analysis.count({ where: { dossierId: martinDossierId } })).toBe(0)
    // Odd ids are just unknown ids.
    for (const id of ['%7B%7D', '..%2F..%2Fetc', 'a'.repeat(300), '%00'])
      expect((await dupont.get(`/api/dossiers/${id}`)).status).toBe(404)
  })
})

describe('the cabinet profile, leaderboard and activity', () => {
  it('keeps the active dossier count in step with every write', async () => {
    const active = () =>
      prisma.dossier.count({ where: { tenantId: 'cabinet-dupont', status: { in: ['OPEN', 'IN_PROGRESS'] } } })
    const me = async () => (await (await dupont.get('/api/auth/me')).json()).user.tenant
    expect(await me()).toMatchObject({
      id: 'cabinet-dupont',
      name: 'Cabinet Dupont',
      plan: 'PREMIUM',
      activeDossiers: await active(),
    })
    const created = (
      (await (
        await dupont.post('/api/dossiers', { title: 'Garde alternée Petit', clientName: 'Mme Petit' })
      ).json()) as { dossier: DossierJson }
    ).dossier
    expect((await me()).activeDossiers).toBe(await active())
    await dupont.patch(`/api/dossiers/${created.id}`, { status: 'CLOSED' })
    expect((await me()).activeDossiers).toBe(await active())
  })

  it('scores cabinets (created +1, closed +5) and ranks them by name, marking the caller', async () => {
    const score = async () =>
      ((await (await dupont.get('/api/leaderboard')).json()).cabinets as { id: string; score: number }[]).find(
        (c) => c.id === 'cabinet-dupont',
      )?.score ?? 0
    const before = await score()
    const created = (
      (await (await dupont.post('/api/dossiers', { title: 'Vice caché Girard', clientName: 'M. Girard' })).json()) as {
        dossier: DossierJson
      }
    ).dossier
    expect(await score()).toBe(before + 1)
    await dupont.patch(`/api/dossiers/${created.id}`, { status: 'CLOSED' })
    expect(await score()).toBe(before + 6)
    await dupont.patch(`/api/dossiers/${created.id}`, { title: 'Vice caché Girard (appel)' }) // still closed: no new points
    expect(await score()).toBe(before + 6)
    const { cabinets } = await (await martin.get('/api/leaderboard')).json()
    expect(cabinets.find((c: { id: string }) => c.id === 'cabinet-dupont')).toMatchObject({
      name: 'Cabinet Dupont',
      you: false,
    })
    expect(cabinets.find((c: { id: string }) => c.id === 'cabinet-martin')).toMatchObject({
      name: 'Cabinet Martin',
      you: true,
    })
  })

  it("lists the cabinet's most recently active dossiers, never another cabinet's", async () => {
    const created = (
      (await (await martin.post('/api/dossiers', { title: 'Licenciement Caron', clientName: 'M. Caron' })).json()) as {
        dossier: DossierJson
      }
    ).dossier
    const mine = (await (await martin.get('/api/dossiers/activity')).json()).dossiers as { id: string }[]
    expect(mine[0]!.id).toBe(created.id)
    const theirs = (await (await dupont.get('/api/dossiers/activity')).json()).dossiers as { id: string }[]
    expect(theirs.some((d) => d.id === created.id)).toBe(false)
  })
})

describe('GET /api/queue and /api/health', () => {
  it("shows the cabinet's analyses to an ADMIN only, and no platform figures without PLATFORM_ADMIN_EMAILS", async () => {
    const res = await dupont.get('/api/queue')
    expect(res.status).toBe(200)
    const count = {
      waiting: expect.any(Number),
      running: expect.any(Number),
      done: expect.any(Number),
      failed: expect.any(Number),
    }
    expect(await res.json()).toEqual({ cabinet: count })
    const assistant = new Client(app.url)
    await assistant.login('assistant@cabinet-dupont.fr')
    expect((await assistant.get('/api/queue')).status).toBe(403)
    expect((await new Client(app.url).get('/api/queue')).status).toBe(401)
  })

  it('reports both stores with their latency, without a session and without a rate limit', async () => {
    const res = await new Client(app.url).get('/api/health')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ratelimit-limit')).toBeNull()
    // The usual protective headers are on every answer.
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-powered-by')).toBeNull()
    const body = await res.json()
    expect(body).toMatchObject({ status: 'ok', redis: { ok: true }, database: { ok: true } })
    expect(body.redis.latencyMs).toBeGreaterThan(0)
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0)
  })
})
