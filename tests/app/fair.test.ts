/**
 * Issue 16, through the real production server: the leaderboard cannot be gamed (closing and reopening
 * a dossier, or re-running its analysis, scores once), every cabinet sees its own place even at 0
 * points, and a cabinet sees its own figures only: the shared analysis queue, the Upstash usage and
 * the cache hit rate are for the platform's operators (PLATFORM_ADMIN_EMAILS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { Client, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { uniquePrefix } from '../../testing/stack'
import { startDemoApp } from '../support/app'

const CRON_SECRET = 'test-cron-secret-0123456789abcdef'
const OPERATOR = 'avocat@cabinet-martin.fr' // an AVOCAT of Cabinet Martin who also runs the platform
const db = tempDatabase('fair')
const prisma = createPrismaClient(db.url)
let app: RunningApp
let dupont: Client
let martin: Client
let operator: Client

beforeAll(async () => {
  app = await startDemoApp(db.url, uniquePrefix('fair'), {
    CRON_SECRET,
    // Spaces and capitals as an operator might type them.
    PLATFORM_ADMIN_EMAILS: ` Ops@Example.fr , ${OPERATOR.toUpperCase()}`,
  })
  dupont = new Client(app.url)
  martin = new Client(app.url)
  operator = new Client(app.url)
  await dupont.login('demo@cabinet-dupont.fr')
  await martin.login('demo@cabinet-martin.fr')
  await operator.login(OPERATOR)
})
afterAll(async () => {
  await app?.stop()
  await prisma.$disconnect()
  db.remove()
})

type Row = { rank: number; id: string; name: string; score: number; you: boolean }
const board = async (c: Client) => {
  const res = await c.get('/api/leaderboard')
  expect(res.status).toBe(200)
  return ((await res.json()) as { cabinets: Row[] }).cabinets
}
/** The caller's score; 0 when the board leaves it out (it never should: checked above). */
const scoreOf = async (c: Client) => (await board(c)).find((r) => r.you)?.score ?? 0
/** Runs the queued analyses now, as the cron route does on a host without a worker. */
const drain = async () => {
  const res = await fetch(`${app.url}/api/cron/analysis`, { headers: { authorization: `Bearer ${CRON_SECRET}` } })
  expect(res.status).toBe(200)
}
const analyse = async (c: Client, id: string) => {
  expect((await c.post(`/api/dossiers/${id}/analyze`)).status).toBe(202)
  await drain()
  expect((await (await c.get(`/api/dossiers/${id}/analysis`)).json()).status).toBe('DONE')
}

describe('your cabinet on the leaderboard', () => {
  it('is shown to itself with its rank at 0 points, and not to others until it scores', async () => {
    expect(await board(martin)).toEqual([
      { rank: 1, id: 'cabinet-martin', name: 'Cabinet Martin', score: 0, you: true },
    ])
    const created = (
      await (await dupont.post('/api/dossiers', { title: 'Bail Roussel', clientName: 'Mme Roussel' })).json()
    ).dossier
    expect(created.id).toBeTruthy()
    expect(await board(martin)).toEqual([
      { rank: 1, id: 'cabinet-dupont', name: 'Cabinet Dupont', score: 1, you: false },
      { rank: 2, id: 'cabinet-martin', name: 'Cabinet Martin', score: 0, you: true },
    ])
    expect(await board(dupont)).toEqual([
      { rank: 1, id: 'cabinet-dupont', name: 'Cabinet Dupont', score: 1, you: true },
    ])
  })
})

describe('the leaderboard cannot be gamed', () => {
  it('closing and reopening one dossier 10 times, and 10 concurrent closes, score its close once', async () => {
    const before = await scoreOf(dupont)
    const { id } = (
      await (await dupont.post('/api/dossiers', { title: 'Succession Lemaire', clientName: 'M. Lemaire' })).json()
    ).dossier
    for (let i = 0; i < 10; i++) {
      expect((await dupont.patch(`/api/dossiers/${id}`, { status: 'CLOSED' })).status).toBe(200)
      expect((await dupont.patch(`/api/dossiers/${id}`, { status: 'OPEN' })).status).toBe(200)
    }
    // Concurrent requests that may each see the dossier open before their write.
    const closes = await Promise.all(
      Array.from({ length: 10 }, () => dupont.patch(`/api/dossiers/${id}`, { status: 'CLOSED' })),
    )
    expect(closes.map((r) => r.status)).toEqual(Array(10).fill(200))
    expect(await scoreOf(dupont)).toBe(before + 1 + 5)
  })

  it('re-running an analysis scores only the first one to complete', async () => {
    const before = await scoreOf(dupont)
    const { id } = (
      await (await dupont.post('/api/dossiers', { title: 'Contrefaçon Vidal', clientName: 'SARL Vidal' })).json()
    ).dossier
    for (let i = 0; i < 3; i++) await analyse(dupont, id)
    expect(await prisma.analysis.count({ where: { dossierId: id, status: 'DONE' } })).toBe(3)
    expect(await scoreOf(dupont)).toBe(before + 1 + 3)
  })

  it('deleting a dossier takes nothing back and gives nothing again', async () => {
    const before = await scoreOf(dupont)
    const { id } = (
      await (
        await dupont.post('/api/dossiers', { title: 'Divorce Marchand', clientName: 'Mme Marchand', status: 'CLOSED' })
      ).json()
    ).dossier
    expect(await scoreOf(dupont)).toBe(before + 6)
    expect((await dupont.delete(`/api/dossiers/${id}`)).status).toBe(204)
    expect(await scoreOf(dupont)).toBe(before + 6)
  })
})

describe('each cabinet sees its own figures', () => {
  it("GET /api/queue: a cabinet's ADMIN gets its own analyses, never the shared queue nor another cabinet's jobs", async () => {
    // Cabinet Martin asks for analyses that stay queued (no worker, no drain yet).
    const theirs = await prisma.dossier.findMany({ where: { tenantId: 'cabinet-martin' }, take: 3 })
    for (const d of theirs) expect((await martin.post(`/api/dossiers/${d.id}/analyze`)).status).toBe(202)
    const dupontDone = await prisma.analysis.count({ where: { tenantId: 'cabinet-dupont', status: 'DONE' } })

    const mine = await dupont.get('/api/queue')
    expect(mine.status).toBe(200)
    expect(await mine.json()).toEqual({ cabinet: { waiting: 0, running: 0, done: dupontDone, failed: 0 } })
    expect(await (await martin.get('/api/queue')).json()).toEqual({
      cabinet: { waiting: theirs.length, running: 0, done: 0, failed: 0 },
    })

    // The platform operator (an AVOCAT in their cabinet) gets the shared queue, and no cabinet's figures by role.
    const platform = await (await operator.get('/api/queue')).json()
    expect(platform).toEqual({
      platform: { queue: 'ai-analysis-queue', waiting: theirs.length, inFlight: 0, delayed: 0, dead: 0 },
    })

    const assistant = new Client(app.url)
    await assistant.login('assistant@cabinet-dupont.fr')
    expect((await assistant.get('/api/queue')).status).toBe(403)
    await drain()
  })

  it("/status: a cabinet's ADMIN sees its own analyses, not the shared queue, the Upstash usage nor the cache hit rate", async () => {
    const platformOnly = [
      'Abandonnées',
      'Commandes Upstash facturées ce mois-ci',
      'Lectures servies par la mémoire partagée',
      'data-testid="usage-month"',
      'File d’attente des analyses, tous cabinets',
    ]
    const page = async (c: Client) => {
      const res = await c.get('/status')
      expect(res.status).toBe(200)
      return res.text()
    }
    const admin = await page(dupont)
    expect(admin).toContain('Analyses de votre cabinet')
    expect(admin).toContain('Terminées')
    for (const text of platformOnly) expect(admin).not.toContain(text)

    const ops = await page(operator)
    for (const text of platformOnly) expect(ops).toContain(text)
    // Everyone sees whether the service works and how the cabinet's own analyses are moving.
    for (const text of ['Tout fonctionne normalement', 'Analyses de votre cabinet']) expect(ops).toContain(text)
  })
})
