import { describe, expect, it } from 'vitest'
import { createLocalAnalyzer, type LegalDomain } from '@/lib/analyses/analyzer'
import { DEMO_CABINETS, DEMO_PASSWORD } from '@/lib/demo/demo-data'
import { seedDemo } from '../../prisma/seed'
import { createPrismaClient } from '@/lib/core/prisma'
import { tempDatabase } from '../../testing/database'

/** The day the demo data was written: its hearings are then spread over the next weeks and months. */
const NOW = new Date('2026-11-26T10:00:00Z')
const DAY = 86_400_000

const dossiers = DEMO_CABINETS.flatMap((cabinet) => cabinet.dossiers.map((dossier) => ({ cabinet, dossier })))

/** What a lawyer would file each demo dossier under. */
const EXPECTED_DOMAINS: Record<string, LegalDomain> = {
  'DUP-2026-001': 'FAMILLE',
  'DUP-2026-002': 'COMMERCIAL',
  'DUP-2026-003': 'FAMILLE',
  'DUP-2026-004': 'TRAVAIL',
  'DUP-2026-005': 'COMMERCIAL',
  'DUP-2026-006': 'CIVIL',
  'DUP-2026-007': 'FAMILLE',
  'DUP-2026-008': 'TRAVAIL',
  'DUP-2026-009': 'COMMERCIAL',
  'DUP-2026-010': 'IMMOBILIER',
  'DUP-2026-011': 'TRAVAIL',
  'DUP-2026-012': 'CIVIL',
  'MAR-2026-001': 'TRAVAIL',
  'MAR-2026-002': 'COMMERCIAL',
  'MAR-2026-003': 'FAMILLE',
  'MAR-2026-004': 'IMMOBILIER',
  'MAR-2026-005': 'COMMERCIAL',
  'MAR-2026-006': 'CIVIL',
  'MAR-2026-007': 'FAMILLE',
  'MAR-2026-008': 'TRAVAIL',
  'MAR-2026-009': 'COMMERCIAL',
  'MAR-2026-010': 'IMMOBILIER',
  'MAR-2026-011': 'CIVIL',
  'MAR-2026-012': 'FAMILLE',
}

describe('demo data', () => {
  it('has the two cabinets the seed expects', () => {
    expect(DEMO_PASSWORD).toBe('demo-password')
    expect(DEMO_CABINETS.map(({ id, name, plan, referencePrefix }) => ({ id, name, plan, referencePrefix }))).toEqual([
      { id: 'cabinet-dupont', name: 'Cabinet Dupont', plan: 'PREMIUM', referencePrefix: 'DUP' },
      { id: 'cabinet-martin', name: 'Cabinet Martin', plan: 'FREE', referencePrefix: 'MAR' },
    ])
  })

  it('has the demo users, with unique emails', () => {
    const [dupont, martin] = DEMO_CABINETS
    expect(dupont?.users.map((u) => u.role)).toEqual(['ADMIN', 'AVOCAT', 'ASSISTANT'])
    expect(dupont?.users[0]).toEqual({ email: 'demo@cabinet-dupont.fr', name: 'Claire Dupont', role: 'ADMIN' })
    expect(martin?.users.map((u) => u.role)).toEqual(['ADMIN', 'AVOCAT'])
    expect(martin?.users[0]).toEqual({ email: 'demo@cabinet-martin.fr', name: 'Julien Martin', role: 'ADMIN' })
    const emails = DEMO_CABINETS.flatMap((c) => c.users.map((u) => u.email))
    expect(new Set(emails).size).toBe(emails.length)
    for (const cabinet of DEMO_CABINETS)
      for (const user of cabinet.users) expect(user.email.endsWith(`@${cabinet.id}.fr`)).toBe(true)
  })

  it('has 12 dossiers per cabinet with sequential references', () => {
    for (const cabinet of DEMO_CABINETS) {
      expect(cabinet.dossiers.map((d) => d.reference)).toEqual(
        Array.from({ length: 12 }, (_, i) => `${cabinet.referencePrefix}-2026-${String(i + 1).padStart(3, '0')}`),
      )
    }
  })

  it('has complete dossiers: client, 2-4 sentence description, age within 0-120 days', () => {
    for (const { dossier } of dossiers) {
      expect(dossier.title.length, dossier.reference).toBeGreaterThan(5)
      expect(dossier.clientName.length, dossier.reference).toBeGreaterThan(3)
      const sentences = dossier.description.split(/(?<=[.!?])\s+/).filter(Boolean)
      expect(sentences.length, dossier.reference).toBeGreaterThanOrEqual(2)
      expect(sentences.length, dossier.reference).toBeLessThanOrEqual(4)
      expect(Number.isInteger(dossier.createdDaysAgo)).toBe(true)
      expect(dossier.createdDaysAgo).toBeGreaterThanOrEqual(0)
      expect(dossier.createdDaysAgo).toBeLessThanOrEqual(120)
    }
    const ages = dossiers.map(({ dossier }) => dossier.createdDaysAgo)
    expect(Math.min(...ages)).toBeLessThanOrEqual(5)
    expect(Math.max(...ages)).toBeGreaterThanOrEqual(100)
  })

  it('mixes statuses: mostly open or in progress, a few closed, one archived', () => {
    const count = (status: string) => dossiers.filter(({ dossier }) => dossier.status === status).length
    expect(count('OPEN') + count('IN_PROGRESS')).toBeGreaterThanOrEqual(18)
    expect(count('IN_PROGRESS')).toBeGreaterThan(0)
    expect(count('CLOSED')).toBeGreaterThanOrEqual(2)
    expect(count('ARCHIVED')).toBe(1)
  })

  it('gives every dossier a real domain, and finds the dates and amounts it mentions', async () => {
    const analyzer = createLocalAnalyzer()
    const domains = new Set<LegalDomain>()
    for (const { dossier } of dossiers) {
      const createdAt = new Date(NOW.getTime() - dossier.createdDaysAgo * DAY)
      const result = await analyzer.analyze({ ...dossier, createdAt }, NOW)
      domains.add(result.domain)
      expect(result.domain, dossier.reference).not.toBe('AUTRE')
      expect(result.domain, dossier.reference).toBe(EXPECTED_DOMAINS[dossier.reference])
      if (/€|euros?\b/.test(dossier.description)) expect(result.amounts.length, dossier.reference).toBeGreaterThan(0)
      if (/\d{2}\/\d{2}\/\d{4}|\d{1,2}(er)? \p{L}+ \d{4}/u.test(dossier.description))
        expect(result.keyDates.length, dossier.reference).toBeGreaterThan(0)
      expect(result.summary, dossier.reference).toContain(dossier.clientName)
      if (dossier.status === 'CLOSED' || dossier.status === 'ARCHIVED')
        expect(result.urgency, dossier.reference).toBe('BASSE')
    }
    expect([...domains].sort()).toEqual(['CIVIL', 'COMMERCIAL', 'FAMILLE', 'IMMOBILIER', 'TRAVAIL'])
  })

  it('shows every urgency level on the day it was written', async () => {
    const analyzer = createLocalAnalyzer()
    const urgencies = new Set<string>()
    for (const { dossier } of dossiers)
      urgencies.add((await analyzer.analyze({ ...dossier, createdAt: NOW }, NOW)).urgency)
    expect([...urgencies].sort()).toEqual(['BASSE', 'CRITIQUE', 'HAUTE', 'NORMALE'])
  })

  it('finds the exact figures of a sample dossier', async () => {
    const dossier = DEMO_CABINETS[0]?.dossiers.find((d) => d.reference === 'DUP-2026-004')
    expect(dossier).toBeDefined()
    const result = await createLocalAnalyzer().analyze({ ...dossier!, createdAt: NOW }, NOW)
    expect(result.amounts.map((a) => a.amount)).toEqual([28500, 4200])
    expect(result.keyDates.map((d) => d.date)).toEqual(['2026-10-08', '2026-12-02'])
    expect(result.urgency).toBe('CRITIQUE')
    expect(result.urgencyReason).toBe('Audience le 02/12/2026, dans 6 jours.')
  })
})

describe('seeded database', () => {
  it('gives every seeded dossier its own "last updated" time, after its opening', async () => {
    const db = tempDatabase('seed-times')
    try {
      await seedDemo(db.url, () => {})
      const prisma = createPrismaClient(db.url)
      try {
        const rows = await prisma.dossier.findMany({ select: { tenantId: true, createdAt: true, updatedAt: true } })
        expect(rows.length).toBe(dossiers.length)
        for (const cabinet of DEMO_CABINETS) {
          const times = rows.filter((r) => r.tenantId === cabinet.id).map((r) => r.updatedAt.getTime())
          expect(new Set(times).size).toBe(times.length)
        }
        for (const r of rows) expect(r.updatedAt.getTime()).toBeGreaterThanOrEqual(r.createdAt.getTime())
      } finally {
        await prisma.$disconnect()
      }
    } finally {
      db.remove()
    }
  })
})
