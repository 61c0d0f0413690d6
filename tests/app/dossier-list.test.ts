/**
 * The dossier list paginated, through the real production server and a private redis-server (every
 * billed command counted): a cabinet piling up maximal dossiers gets bounded, cached pages; the search
 * runs across all its dossiers; a warm page still costs 3 billed commands; the page /dossiers pages
 * with "Précédent / Suivant", keeping the filter and the search; the analysis request is limited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { billedCommands } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

const db = tempDatabase('dossier-list')
const prisma = createPrismaClient(db.url)
let stack: Stack
let app: RunningApp
let martin: Client
const TENANT = 'cabinet-martin'
const PILE = 120
/** A maximal description (10 000 characters, 3 bytes each in UTF-8): what the attacker's probe used. */
const HUGE = '€'.repeat(10_000)

interface Page {
  dossiers: {
    id: string
    tenantId: string
    title: string
    clientName: string
    reference: string
    createdAt: string
    description?: unknown
  }[]
  nextCursor: string | null
  prevCursor: string | null
}

beforeAll(async () => {
  stack = await startStack()
  await seedDemo(db.url, () => {})
  // Before any read, so nothing is cached yet: written straight to the database (distinct times, the oldest first).
  const start = Date.now() - PILE * 1000
  for (let i = 0; i < PILE; i++) {
    await prisma.dossier.create({
      data: {
        tenantId: TENANT,
        reference: `PILE-${i}`,
        title: `Dossier empilé ${i}`,
        clientName: i === 0 ? 'Société Zéphyrin-Unique' : 'Client Pile',
        description: HUGE,
        createdAt: new Date(start + i * 1000),
      },
    })
  }
  app = await startApp({
    ...stack.env,
    DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: uniquePrefix('list'),
    RATE_LIMIT_MAX: '100000',
    LOGIN_MAX_PER_ADDRESS: '1000',
    UPSTASH_USAGE_FLUSH_SECONDS: '0',
    ANALYSIS_MAX_PENDING_PER_CABINET: '2',
  })
  martin = new Client(app.url)
  await martin.login('demo@cabinet-martin.fr')
}, 180_000)
afterAll(async () => {
  await app?.stop()
  await stack?.stop()
  await prisma.$disconnect()
  db.remove()
})

async function page(path: string): Promise<{ res: Response; body: Page; bytes: number }> {
  const res = await martin.get(path)
  const text = await res.text()
  expect(res.status, text).toBe(200)
  return { res, body: JSON.parse(text) as Page, bytes: Buffer.byteLength(text) }
}

describe('GET /api/dossiers, paginated', () => {
  it('walks every dossier once, newest first, in pages of 50 under 100 kB (no description); prevCursor leads back', async () => {
    const total = await prisma.dossier.count({ where: { tenantId: TENANT } })
    const seen: Page['dossiers'] = []
    const pages: Page[] = []
    let path = '/api/dossiers'
    for (;;) {
      const { body, bytes } = await page(path)
      pages.push(body)
      expect(body.dossiers.length).toBeLessThanOrEqual(50)
      expect(bytes).toBeLessThan(100_000)
      seen.push(...body.dossiers)
      if (!body.nextCursor) break
      path = `/api/dossiers?cursor=${body.nextCursor}`
    }
    expect(pages.length).toBe(Math.ceil(total / 50))
    expect(seen.length).toBe(total)
    expect(new Set(seen.map((d) => d.id)).size).toBe(total)
    expect(seen.every((d) => d.tenantId === TENANT && d.description === undefined)).toBe(true)
    const times = seen.map((d) => Date.parse(d.createdAt))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    expect(pages[0]!.prevCursor).toBeNull()
    // Back from the second page: the first one again, with no page before it.
    const back = await page(`/api/dossiers?before=${pages[1]!.prevCursor}`)
    expect(back.body).toEqual(pages[0])
    // Back from the last page: the one before it.
    const lastBack = await page(`/api/dossiers?before=${pages.at(-1)!.prevCursor}`)
    expect(lastBack.body.dossiers).toEqual(pages.at(-2)!.dossiers)
  })

  it('each page is cached on its own (MISS, then HIT), and one write invalidates them all', async () => {
    const first = await page('/api/dossiers?limit=10')
    const second = await page(`/api/dossiers?limit=10&cursor=${first.body.nextCursor}`)
    expect((await page('/api/dossiers?limit=10')).res.headers.get('x-cache')).toBe('HIT')
    expect((await page(`/api/dossiers?limit=10&cursor=${first.body.nextCursor}`)).res.headers.get('x-cache')).toBe(
      'HIT',
    )
    const created = await martin.post('/api/dossiers', { title: 'Nouveau après pagination', clientName: 'M. Neuf' })
    expect(created.status).toBe(201)
    const fresh = await page('/api/dossiers?limit=10')
    expect(fresh.res.headers.get('x-cache')).toBe('MISS')
    expect(fresh.body.dossiers[0]!.title).toBe('Nouveau après pagination')
    // Keyset pages do not shift: the second page (after the same cursor) is the same rows, read afresh.
    const again = await page(`/api/dossiers?limit=10&cursor=${first.body.nextCursor}`)
    expect(again.res.headers.get('x-cache')).toBe('MISS')
    expect(again.body.dossiers).toEqual(second.body.dossiers)
  })

  it('searches title, client and reference across all the cabinet’s dossiers in the database (not cached)', async () => {
    // PILE-0's client is on the last page of the list.
    const found = await page('/api/dossiers?q=z%C3%A9phyrin')
    expect(found.body.dossiers.map((d) => d.reference)).toEqual(['PILE-0'])
    expect(found.res.headers.get('x-cache')).toBe('BYPASS')
    expect((await page('/api/dossiers?q=PILE-11')).body.dossiers.map((d) => d.reference).sort()).toEqual(
      [
        'PILE-11',
        'PILE-110',
        'PILE-111',
        'PILE-112',
        'PILE-113',
        'PILE-114',
        'PILE-115',
        'PILE-116',
        'PILE-117',
        'PILE-118',
        'PILE-119',
      ].sort(),
    )
    const many = await page('/api/dossiers?q=empil%C3%A9&status=OPEN&limit=100')
    expect(many.body.dossiers.length).toBe(100)
    expect(many.body.nextCursor).not.toBeNull()
    const rest = await page(`/api/dossiers?q=empil%C3%A9&status=OPEN&limit=100&cursor=${many.body.nextCursor}`)
    expect(rest.body.dossiers.length).toBe(PILE - 100)
    // As a lawyer types it: without accents, in any case.
    expect((await page('/api/dossiers?q=ZEPHYRIN')).body.dossiers.map((d) => d.reference)).toEqual(['PILE-0'])
    expect((await page('/api/dossiers?q=empile&status=OPEN&limit=100')).body.dossiers.length).toBe(100)
    // Back from the second page: the first again.
    const back = await page(`/api/dossiers?q=empile&status=OPEN&limit=100&before=${rest.body.prevCursor}`)
    expect(back.body.dossiers.map((d) => d.id)).toEqual(many.body.dossiers.map((d) => d.id))
    expect(back.body.prevCursor).toBeNull()
    // LIKE's wildcards are plain characters in a search: no title, client or reference holds them.
    for (const q of ['%25', '_', '%25%25', '%5C'])
      expect((await page(`/api/dossiers?q=${q}`)).body.dossiers, q).toEqual([])
    // Another cabinet's search finds none of them.
    const dupont = new Client(app.url)
    await dupont.login('demo@cabinet-dupont.fr')
    expect(((await (await dupont.get('/api/dossiers?q=PILE')).json()) as Page).dossiers).toEqual([])
  })

  it('refuses bad parameters with a 400 naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['?limit=0', /limit must be a whole number from 1 to 100/],
      ['?limit=101', /limit/],
      ['?limit=abc', /limit/],
      ['?cursor=nope', /cursor must be a nextCursor or prevCursor/],
      ['?before=%27%3B--', /before must be/],
      ['?cursor=abc.def&before=abc.def', /cursor or before, not both/],
      ['?cursor=abc.def&cursor=abc.deg', /cursor/],
      ['?page=2', /page/],
      [`?q=${'x'.repeat(201)}`, /q must be at most 200/],
    ]
    for (const [query, message] of cases) {
      const res = await martin.get(`/api/dossiers${query}`)
      expect(res.status, query).toBe(400)
      expect(((await res.json()) as { error: string }).error, query).toMatch(message)
    }
  })

  it('a warm page costs 3 billed commands, the first and a later one alike (session + rate limit + one cache hit)', async () => {
    const first = await page('/api/dossiers')
    const next = `/api/dossiers?cursor=${first.body.nextCursor}`
    await page(next)
    for (const path of ['/api/dossiers', next]) {
      const { total, byCommand } = await billedCommands(stack.env.REDIS_URL, async () => {
        const { res } = await page(path)
        expect(res.headers.get('x-cache')).toBe('HIT')
      })
      expect(total, `${path}: ${JSON.stringify(byCommand)}`).toBe(3)
    }
  })
})

describe('the page /dossiers', () => {
  it('shows 50 dossiers with "Suivant", then "Précédent", keeping the status filter and the search', async () => {
    const html = async (path: string) => {
      const res = await martin.get(path)
      expect(res.status).toBe(200)
      return res.text()
    }
    const links = (h: string) =>
      [
        ...h.matchAll(
          /<a[^>]*href="(\/dossiers\?[^"]*)"[^>]*rel="(prev|next)"|<a[^>]*rel="(prev|next)"[^>]*href="(\/dossiers\?[^"]*)"/g,
        ),
      ].map((m) => ({ rel: m[2] ?? m[3], href: (m[1] ?? m[4])!.replaceAll('&amp;', '&') }))
    const first = await html('/dossiers?status=OPEN&q=empil%C3%A9')
    expect(first).toContain('Suivant')
    expect(first).not.toContain('Précédent')
    const next = links(first).find((l) => l.rel === 'next')!
    const nextUrl = new URL(next.href, app.url)
    expect(nextUrl.searchParams.get('status')).toBe('OPEN')
    expect(nextUrl.searchParams.get('q')).toBe('empilé')
    const second = await html(next.href)
    expect(second).toContain('Précédent')
    const prev = links(second).find((l) => l.rel === 'prev')!
    expect(new URL(prev.href, app.url).searchParams.get('q')).toBe('empilé')
    expect(await html(prev.href)).toContain('Dossier empilé 119')
  })

  it('over ANALYSIS_MAX_PENDING_PER_CABINET (2 here) the API answers 429 in English, nothing queued', async () => {
    const ids = (await prisma.dossier.findMany({ where: { tenantId: TENANT }, take: 3, select: { id: true } })).map(
      (d) => d.id,
    )
    expect((await martin.post(`/api/dossiers/${ids[0]}/analyze`)).status).toBe(202)
    expect((await martin.post(`/api/dossiers/${ids[1]}/analyze`)).status).toBe(202)
    const refused = await martin.post(`/api/dossiers/${ids[2]}/analyze`)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /too many analyses pending for this cabinet \(at most 2\)/,
    )
    expect(await prisma.analysis.count({ where: { dossierId: ids[2] } })).toBe(0)
  })
})
