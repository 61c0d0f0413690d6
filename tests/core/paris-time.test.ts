/** Dates as a lawyer in France reads them: Paris time, relative dates by calendar day. */
import { describe, expect, it } from 'vitest'
import { formatRelativeFr } from '@/lib/core/paris-time'

describe('formatRelativeFr', () => {
  // 15:00 in Paris (UTC+1 in December).
  const now = new Date('2026-12-05T14:00:00Z')
  const rel = (iso: string) => formatRelativeFr(new Date(iso), now)

  it('counts minutes and hours within the same Paris day', () => {
    expect(rel('2026-12-05T13:40:00Z')).toBe('il y a 20 minutes')
    expect(rel('2026-12-05T20:00:00Z')).toBe('dans 6 heures')
    expect(rel('2026-12-05T00:00:00Z')).toBe('il y a 14 heures')
  })

  it('counts calendar days otherwise: yesterday is « hier », never « il y a 34 heures »', () => {
    expect(rel('2026-12-04T05:00:00Z')).toBe('hier')
    expect(rel('2026-12-03T10:00:00Z')).toBe('avant-hier')
    expect(rel('2026-12-12T08:00:00Z')).toBe('dans 7 jours')
    expect(rel('2026-11-01T08:00:00Z')).toBe('il y a 34 jours')
  })

  it('uses the Paris calendar: 00:30 in Paris tomorrow is « demain » though it is 23:30 UTC today', () => {
    expect(rel('2026-12-05T23:30:00Z')).toBe('demain')
    expect(rel('2026-12-05T22:00:00Z')).toBe('dans 8 heures')
  })

  it('is not thrown off by a change of time (last Sunday of March)', () => {
    const saturday = new Date('2027-03-27T12:00:00Z')
    expect(formatRelativeFr(new Date('2027-03-29T07:00:00Z'), saturday)).toBe('après-demain')
  })
})
