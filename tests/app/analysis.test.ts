/**
 * The analysis pipeline end to end: the API (real production server) queues, a real
 * `scripts/worker.ts` process analyses and stores the result in the database, the API shows it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { seedDemo } from '../../prisma/seed'
import { Client, ROOT, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { uniquePrefix } from '../../testing/stack'
import { testAppEnv } from '../support/app'

const db = tempDatabase('analysis')
const prisma = createPrismaClient(db.url)
/** The app's environment, the worker's too. */
const env = testAppEnv(db.url, uniquePrefix('analysis'))
let app: RunningApp
let worker: ChildProcess | undefined
let dupont: Client

beforeAll(async () => {
  await seedDemo(db.url, () => {})
  app = await startApp(env)
  dupont = new Client(app.url)
  await dupont.login('demo@cabinet-dupont.fr')
})
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker!.once('exit', r))
    worker.kill('SIGTERM')
    await exited
  }
  await app?.stop()
  await prisma.$disconnect()
  db.remove()
})

describe('POST /api/dossiers/:id/analyze → worker → GET /api/dossiers/:id/analysis', () => {
  it('queues once however often the client retries, then shows the finished analysis', async () => {
    const dossier = await prisma.dossier.findFirstOrThrow({
      where: { tenantId: 'cabinet-dupont', reference: 'DUP-2026-001' },
    })
    const none = await dupont.get(`/api/dossiers/${dossier.id}/analysis`)
    expect(await none.json()).toEqual({ status: 'NONE' })

    // A client that retries after a timeout, several times at once: one analysis, one job.
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => dupont.post(`/api/dossiers/${dossier.id}/analyze`)),
    )
    expect(answers.map((r) => r.status)).toEqual(Array(5).fill(202))
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { jobId: string; created: boolean }[]
    expect(new Set(bodies.map((b) => b.jobId)).size).toBe(1)
    expect(bodies.filter((b) => b.created)).toHaveLength(1)
    expect(await prisma.analysis.count({ where: { dossierId: dossier.id } })).toBe(1)
    const queued = await (await dupont.get(`/api/dossiers/${dossier.id}/analysis`)).json()
    expect(queued).toMatchObject({ status: 'QUEUED', jobId: bodies[0]!.jobId })
    expect((await (await dupont.get('/api/queue')).json()).cabinet.waiting).toBe(1)

    worker = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/worker.ts', '--min-idle-ms', '20', '--max-idle-ms', '100'],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let log = ''
    worker.stdout!.on('data', (d) => (log += String(d)))
    worker.stderr!.on('data', (d) => (log += String(d)))

    const done = await vi.waitFor(
      async () => {
        const body = await (await dupont.get(`/api/dossiers/${dossier.id}/analysis`)).json()
        if (body.status !== 'DONE') throw new Error(`still ${body.status}; worker log:\n${log}`)
        return body
      },
      { timeout: 15_000, interval: 100 },
    )
    expect(done).toMatchObject({ status: 'DONE', jobId: bodies[0]!.jobId, attempts: 1 })
    expect(done.result.domain).toMatch(/^[A-Z]+$/)
    expect(['BASSE', 'NORMALE', 'HAUTE', 'CRITIQUE']).toContain(done.result.urgency)
    expect(done.result.summary.length).toBeGreaterThan(20)
    expect(Array.isArray(done.result.keyDates)).toBe(true)
    expect(done.error).toBeUndefined()

    // Finished: a new request starts a new analysis.
    const again = await (await dupont.post(`/api/dossiers/${dossier.id}/analyze`)).json()
    expect(again.created).toBe(true)
    expect(again.jobId).not.toBe(bodies[0]!.jobId)
  })

  it('refuses to analyse a closed or archived dossier (409, nothing queued), and analyses it again once reopened', async () => {
    const dossier = await prisma.dossier.findFirstOrThrow({
      where: { tenantId: 'cabinet-dupont', reference: 'DUP-2026-003' },
    })
    for (const status of ['CLOSED', 'ARCHIVED'] as const) {
      expect((await dupont.patch(`/api/dossiers/${dossier.id}`, { status })).status).toBe(200)
      const refused = await dupont.post(`/api/dossiers/${dossier.id}/analyze`)
      expect(refused.status).toBe(409)
      expect((await refused.json()).error).toBe(
        `dossier is ${status === 'CLOSED' ? 'closed' : 'archived'}: reopen it to analyse it`,
      )
      expect(await prisma.analysis.count({ where: { dossierId: dossier.id } })).toBe(0)
    }
    expect((await dupont.patch(`/api/dossiers/${dossier.id}`, { status: 'IN_PROGRESS' })).status).toBe(200)
    expect((await dupont.post(`/api/dossiers/${dossier.id}/analyze`)).status).toBe(202)
    expect(await prisma.analysis.count({ where: { dossierId: dossier.id } })).toBe(1)
  })

  it("another cabinet can neither queue nor read this cabinet's analyses", async () => {
    const dossier = await prisma.dossier.findFirstOrThrow({
      where: { tenantId: 'cabinet-dupont', reference: 'DUP-2026-002' },
    })
    const martin = new Client(app.url)
    await martin.login('demo@cabinet-martin.fr')
    expect((await martin.post(`/api/dossiers/${dossier.id}/analyze`)).status).toBe(404)
    expect((await martin.get(`/api/dossiers/${dossier.id}/analysis`)).status).toBe(404)
    expect(await prisma.analysis.count({ where: { dossierId: dossier.id } })).toBe(0)
  })
})
