/**
 * The deadline (échéance) API through the real production server (next build + scripts/serve.ts), a real
 * SQLite file seeded with the demo cabinets, and the run's redis-server behind the local endpoint:
 * create, list, edit, mark done, confirm or dismiss a proposal, delete; validation errors naming the field;
 * another cabinet's deadline is a 404 everywhere and never listed; every role of the cabinet may manage them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { Client, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { uniquePrefix } from '../../testing/stack'
import { startDemoApp } from '../support/app'

const db = tempDatabase('deadlines-api')
const prisma = createPrismaClient(db.url)
let app: RunningApp
let dupont: Client
let assistant: Client
let martin: Client
let dupontDossierId: string
let martinDossierId: string

interface DeadlineJson {
  id: string
  dossierId: string
  dossier: { id: string; reference: string; title: string }
  title: string
  dueAt: string
  dueAtLabel: string
  kind: string
  kindLabel: string
  source: string
  status: string
  done: boolean
  doneAt: string | null
}

beforeAll(async () => {
  app = await startDemoApp(db.url, uniquePrefix('deadlines-api'))
  dupont = new Client(app.url)
  assistant = new Client(app.url)
  martin = new Client(app.url)
  await Promise.all([
    dupont.login('demo@cabinet-dupont.fr'),
    assistant.login('assistant@cabinet-dupont.fr'),
    martin.login('demo@cabinet-martin.fr'),
  ])
  dupontDossierId = (await prisma.dossier.findFirstOrThrow({ where: { tenantId: 'cabinet-dupont' } })).id
  martinDossierId = (await prisma.dossier.findFirstOrThrow({ where: { tenantId: 'cabinet-martin' } })).id
})
afterAll(async () => {
  await app?.stop()
  await prisma.$disconnect()
  db.remove()
})

async function create(c: Client, dossierId: string, body: object): Promise<DeadlineJson> {
  const res = await c.post(`/api/dossiers/${dossierId}/deadlines`, body)
  expect(res.status, await res.clone().text()).toBe(201)
  return ((await res.json()) as { deadline: DeadlineJson }).deadline
}

async function list(c: Client, query = ''): Promise<DeadlineJson[]> {
  const res = await c.get(`/api/deadlines${query}`)
  expect(res.status, await res.clone().text()).toBe(200)
  return ((await res.json()) as { deadlines: DeadlineJson[] }).deadlines
}

const error = async (res: Response) => ((await res.json()) as { error: string }).error

describe('POST /api/dossiers/:id/deadlines', () => {
  it('creates a confirmed manual deadline, reading a date-time without offset as Paris time', async () => {
    const res = await dupont.post(`/api/dossiers/${dupontDossierId}/deadlines`, {
      title: 'Audience de conciliation',
      dueAt: '2027-01-12T09:30',
      kind: 'audience',
    })
    expect(res.status).toBe(201)
    const { deadline } = (await res.json()) as { deadline: DeadlineJson }
    expect(res.headers.get('location')).toBe(`/api/deadlines/${deadline.id}`)
    expect(deadline).toMatchObject({
      dossierId: dupontDossierId,
      title: 'Audience de conciliation',
      // 09:30 in Paris in January (UTC+1).
      dueAt: '2027-01-12T08:30:00.000Z',
      dueAtLabel: 'mardi 12 janvier 2027 à 09:30',
      kind: 'audience',
      kindLabel: 'Audience',
      source: 'manual',
      status: 'confirmed',
      done: false,
    })
    expect(await prisma.deadline.findUnique({ where: { id: deadline.id }, select: { tenantId: true } })).toEqual({
      tenantId: 'cabinet-dupont',
    })
    // kind is optional; an offset is honoured as given.
    const other = await create(dupont, dupontDossierId, {
      title: 'Relancer le confrère',
      dueAt: '2027-03-01T10:00:00Z',
    })
    expect(other).toMatchObject({ kind: 'autre', dueAt: '2027-03-01T10:00:00.000Z' })
  })

  it('answers 400 naming the wrong field, and writes nothing', async () => {
    const before = await prisma.deadline.count()
    const cases: [object, RegExp][] = [
      [{ dueAt: '2027-01-12T09:30' }, /title/],
      [{ title: '   ', dueAt: '2027-01-12T09:30' }, /title must not be empty/],
      [{ title: 'x'.repeat(201), dueAt: '2027-01-12T09:30' }, /title must be at most 200/],
      [{ title: 'Audience' }, /dueAt/],
      [{ title: 'Audience', dueAt: '2027-02-31T09:30' }, /dueAt is not a real date/],
      [{ title: 'Audience', dueAt: 'demain' }, /dueAt must be an ISO 8601/],
      [{ title: 'Audience', dueAt: '2027-01-12T09:30', kind: 'plaidoirie' }, /kind must be one of/],
      [
        { title: 'Audience', dueAt: '2027-01-12T09:30', tenantId: 'cabinet-martin' },
        /expected an object with title, dueAt/,
      ],
    ]
    for (const [body, message] of cases) {
      const res = await dupont.post(`/api/dossiers/${dupontDossierId}/deadlines`, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await error(res), JSON.stringify(body)).toMatch(message)
    }
    const notJson = await dupont.request('POST', `/api/dossiers/${dupontDossierId}/deadlines`, 'title=x', {
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(notJson.status).toBe(415)
    expect(await prisma.deadline.count()).toBe(before)
  })

  it("answers 404 for another cabinet's dossier and for one that does not exist, alike", async () => {
    const before = await prisma.deadline.count()
    const body = { title: 'Intrusion', dueAt: '2027-01-12T09:30' }
    const foreign = await dupont.post(`/api/dossiers/${martinDossierId}/deadlines`, body)
    const missing = await dupont.post('/api/dossiers/does-not-exist/deadlines', body)
    const malformed = await dupont.post('/api/dossiers/%E2%9C%93/deadlines', body)
    for (const res of [foreign, missing, malformed]) {
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ error: 'dossier not found' })
    }
    expect((await dupont.get(`/api/dossiers/${martinDossierId}/deadlines`)).status).toBe(404)
    expect(await prisma.deadline.count()).toBe(before)
  })

  it('answers 401 without a session', async () => {
    const res = await new Client(app.url).post(`/api/dossiers/${dupontDossierId}/deadlines`, {
      title: 'x',
      dueAt: '2027-01-12T09:30',
    })
    expect(res.status).toBe(401)
    expect((await new Client(app.url).get('/api/deadlines')).status).toBe(401)
  })
})

describe('GET /api/deadlines', () => {
  it("lists the cabinet's deadlines soonest first, filtered by from and to", async () => {
    const dossier2 = (
      await prisma.dossier.findFirstOrThrow({ where: { tenantId: 'cabinet-dupont', id: { not: dupontDossierId } } })
    ).id
    const late = await create(dupont, dossier2, {
      title: 'Prescription biennale',
      dueAt: '2028-06-01',
      kind: 'prescription',
    })
    const early = await create(dupont, dossier2, { title: 'Rendez-vous client', dueAt: '2026-12-01T14:00+01:00' })
    const all = await list(dupont)
    const times = all.map((d) => Date.parse(d.dueAt))
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(all.map((d) => d.id)).toEqual(expect.arrayContaining([late.id, early.id]))
    expect(new Set(all.map((d) => d.dossier.id)).size).toBeGreaterThan(1)
    // A date alone is due at 09:00 Paris (summer: UTC+2).
    expect(late.dueAt).toBe('2028-06-01T07:00:00.000Z')

    const window = await list(dupont, '?from=2027-01-01T00:00&to=2027-12-31T23:59')
    expect(window.length).toBeGreaterThan(0)
    expect(window.every((d) => d.dueAt >= '2026-12-31T23:00:00.000Z' && d.dueAt <= '2027-12-31T22:59:00.000Z')).toBe(
      true,
    )
    expect(window.map((d) => d.id)).not.toContain(late.id)
    expect(window.map((d) => d.id)).not.toContain(early.id)
    expect((await list(dupont, '?limit=1')).map((d) => d.id)).toEqual([all[0]!.id])
  })

  it('answers 400 naming a wrong parameter', async () => {
    const cases: [string, RegExp][] = [
      ['?from=hier', /query\.from: dueAt must be/],
      ['?to=2027-13-01', /query\.to: dueAt is not a real date/],
      ['?from=2028-01-01&to=2027-01-01', /from must not be after to/],
      ['?limit=0', /limit/],
      ['?includeDone=oui', /includeDone/],
      ['?tenant=cabinet-martin', /unknown parameter tenant/],
      ['?from=2027-01-01&from=2028-01-01', /from given twice/],
    ]
    for (const [query, message] of cases) {
      const res = await dupont.get(`/api/deadlines${query}`)
      expect(res.status, query).toBe(400)
      expect(await error(res), query).toMatch(message)
    }
  })
})

describe('PATCH and DELETE /api/deadlines/:id', () => {
  it('edits title, date and kind; done hides it from the list unless includeDone=true; reopening shows it again', async () => {
    const d = await create(dupont, dupontDossierId, { title: 'Conclusions', dueAt: '2027-04-01T12:00' })
    const res = await dupont.patch(`/api/deadlines/${d.id}`, {
      title: 'Conclusions en réplique',
      dueAt: '2027-04-15T18:00',
      kind: 'delai_procedure',
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { deadline: DeadlineJson }).deadline).toMatchObject({
      id: d.id,
      title: 'Conclusions en réplique',
      dueAt: '2027-04-15T16:00:00.000Z',
      kind: 'delai_procedure',
      kindLabel: 'Délai de procédure',
    })
    const done = await dupont.patch(`/api/deadlines/${d.id}`, { done: true })
    expect(((await done.json()) as { deadline: DeadlineJson }).deadline).toMatchObject({
      done: true,
      doneAt: expect.any(String),
    })
    expect((await list(dupont)).map((x) => x.id)).not.toContain(d.id)
    expect((await list(dupont, '?includeDone=true')).find((x) => x.id === d.id)).toMatchObject({ done: true })
    const reopened = await dupont.patch(`/api/deadlines/${d.id}`, { done: false })
    expect(((await reopened.json()) as { deadline: DeadlineJson }).deadline).toMatchObject({
      done: false,
      doneAt: null,
    })
    expect((await list(dupont)).map((x) => x.id)).toContain(d.id)
  })

  it('answers 400 naming the field for a wrong or empty patch', async () => {
    const d = await create(dupont, dupontDossierId, { title: 'Plaidoirie', dueAt: '2027-05-01T09:00' })
    const cases: [object, RegExp][] = [
      [{}, /nothing to change/],
      [{ title: '' }, /title must not be empty/],
      [{ dueAt: '2027-02-30T10:00' }, /dueAt is not a real date/],
      [{ done: 'oui' }, /done must be true or false/],
      [{ kind: 'autre chose' }, /kind must be one of/],
      [{ status: 'proposed' }, /status must be "confirmed" or "dismissed"/],
      [{ status: 'dismissed', title: 'x' }, /status.*alone/],
    ]
    for (const [body, message] of cases) {
      const res = await dupont.patch(`/api/deadlines/${d.id}`, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await error(res), JSON.stringify(body)).toMatch(message)
    }
    expect(await prisma.deadline.findUniqueOrThrow({ where: { id: d.id }, select: { title: true } })).toEqual({
      title: 'Plaidoirie',
    })
  })

  it('confirms a proposal from the analysis (with or without edits) and dismisses another, which disappears', async () => {
    const propose = (sourceKey: string, title: string) =>
      prisma.deadline.create({
        data: {
          tenantId: 'cabinet-dupont',
          dossierId: dupontDossierId,
          title,
          dueAt: new Date('2027-09-14T07:00:00Z'),
          kind: 'audience',
          source: 'analysis',
          status: 'proposed',
          sourceKey,
        },
      })
    const [a, b, c] = await Promise.all([
      propose('analysis:2027-09-14', 'Audience prévue le 14 septembre 2027'),
      propose('analysis:2027-09-15', 'Date limite de dépôt'),
      propose('analysis:2027-09-16', 'Rendez-vous d’expertise'),
    ])
    // Proposals are listed, marked as such.
    expect((await list(dupont)).find((x) => x.id === a.id)).toMatchObject({ status: 'proposed', source: 'analysis' })

    const confirmed = await dupont.patch(`/api/deadlines/${a.id}`, { status: 'confirmed' })
    expect(confirmed.status).toBe(200)
    expect(((await confirmed.json()) as { deadline: DeadlineJson }).deadline).toMatchObject({ status: 'confirmed' })

    const edited = await dupont.patch(`/api/deadlines/${b.id}`, {
      status: 'confirmed',
      title: 'Dépôt des pièces',
      dueAt: '2027-09-10T17:00',
    })
    expect(((await edited.json()) as { deadline: DeadlineJson }).deadline).toMatchObject({
      status: 'confirmed',
      title: 'Dépôt des pièces',
      dueAt: '2027-09-10T15:00:00.000Z',
    })

    const dismissed = await dupont.patch(`/api/deadlines/${c.id}`, { status: 'dismissed' })
    expect(((await dismissed.json()) as { deadline: DeadlineJson }).deadline).toMatchObject({ status: 'dismissed' })
    expect((await list(dupont, '?includeDone=true')).map((x) => x.id)).not.toContain(c.id)
    const forDossier = (await (await dupont.get(`/api/dossiers/${dupontDossierId}/deadlines`)).json()) as {
      deadlines: DeadlineJson[]
    }
    expect(forDossier.deadlines.map((x) => x.id)).toEqual(expect.arrayContaining([a.id, b.id]))
    expect(forDossier.deadlines.map((x) => x.id)).not.toContain(c.id)

    // A confirmed deadline is deleted, not dismissed.
    const refused = await dupont.patch(`/api/deadlines/${a.id}`, { status: 'dismissed' })
    expect(refused.status).toBe(409)
  })

  it('deletes with 204; the deadline is then a 404 and no longer listed', async () => {
    const d = await create(dupont, dupontDossierId, { title: 'À supprimer', dueAt: '2027-06-01T09:00' })
    const res = await dupont.delete(`/api/deadlines/${d.id}`)
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect(await prisma.deadline.findUnique({ where: { id: d.id } })).toBeNull()
    expect((await list(dupont, '?includeDone=true')).map((x) => x.id)).not.toContain(d.id)
    expect((await dupont.delete(`/api/deadlines/${d.id}`)).status).toBe(404)
    expect((await dupont.patch(`/api/deadlines/${d.id}`, { done: true })).status).toBe(404)
  })
})

describe("another cabinet's deadlines", () => {
  it('are a 404 on PATCH and DELETE, exactly like an unknown id, and never listed', async () => {
    const theirs = await create(martin, martinDossierId, { title: 'Audience Martin', dueAt: '2027-02-02T10:00' })
    for (const c of [dupont, assistant]) {
      const listed = await list(c, '?includeDone=true')
      expect(listed.map((x) => x.id)).not.toContain(theirs.id)
      expect(listed.every((x) => x.dossier.id !== martinDossierId)).toBe(true)
      for (const res of [
        await c.patch(`/api/deadlines/${theirs.id}`, { title: 'Piraté' }),
        await c.patch(`/api/deadlines/${theirs.id}`, { status: 'dismissed' }),
        await c.patch(`/api/deadlines/${theirs.id}`, { status: 'confirmed' }),
        await c.delete(`/api/deadlines/${theirs.id}`),
        await c.patch('/api/deadlines/does-not-exist', { title: 'x' }),
        await c.delete('/api/deadlines/%E2%9C%93'),
      ]) {
        expect(res.status).toBe(404)
        expect(await res.json()).toEqual({ error: 'deadline not found' })
      }
    }
    expect(await prisma.deadline.findUniqueOrThrow({ where: { id: theirs.id }, select: { title: true } })).toEqual({
      title: 'Audience Martin',
    })
    // Each cabinet's list holds its own dossiers' deadlines only.
    const dossiersOf = async (tenantId: string) =>
      new Set((await prisma.dossier.findMany({ where: { tenantId }, select: { id: true } })).map((d) => d.id))
    const [dupontDossiers, martinDossiers] = await Promise.all([
      dossiersOf('cabinet-dupont'),
      dossiersOf('cabinet-martin'),
    ])
    expect((await list(dupont, '?includeDone=true')).every((x) => dupontDossiers.has(x.dossier.id))).toBe(true)
    expect((await list(martin, '?includeDone=true')).every((x) => martinDossiers.has(x.dossier.id))).toBe(true)
  })
})

describe('roles', () => {
  it('lets an assistant keep the agenda: create, edit, mark done, delete', async () => {
    const d = await create(assistant, dupontDossierId, { title: 'Convocation expert', dueAt: '2027-07-07T10:00' })
    expect((await assistant.patch(`/api/deadlines/${d.id}`, { dueAt: '2027-07-08T10:00' })).status).toBe(200)
    expect((await assistant.patch(`/api/deadlines/${d.id}`, { done: true })).status).toBe(200)
    expect((await assistant.delete(`/api/deadlines/${d.id}`)).status).toBe(204)
  })
})
