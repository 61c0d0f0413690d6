/**
 * The fair leaderboard (src/lib/scores/leaderboard.ts) on the run's redis-server: each dossier earns its
 * close and its first analysis once, whatever is reopened, re-run, raced from several instances or
 * deleted; the caller's cabinet always has a rank; billed commands counted on a private server.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  candidateEvents,
  createLeaderboard,
  TENANT_LEADERBOARD,
  type DossierChange,
  type Leaderboard,
} from '@/lib/scores/leaderboard'
import { createContext, createSortedSet } from '@/lib/upstash'
import { billedCommands } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

const shared = inject('stack')
/** A leaderboard as one app instance has it: its own context, its own client. */
const instance = (prefix: string, env: Record<string, string> = shared) =>
  createLeaderboard(
    createSortedSet(createContext({ ...env, REDIS_KEY_PREFIX: prefix, UPSTASH_DISABLE_TELEMETRY: 'true' })),
  )

const open = (id: string) => ({ id, status: 'OPEN' })
const closed = (id: string) => ({ id, status: 'CLOSED' })
const reopen = (id: string): DossierChange => ({ kind: 'updated', before: closed(id), after: open(id) })
const close = (id: string): DossierChange => ({ kind: 'updated', before: open(id), after: closed(id) })
const score = async (board: Leaderboard, tenantId: string) => (await board.standings(tenantId)).yours.score

describe('which writes are candidates for points', () => {
  it('a creation, a status becoming CLOSED, a completed analysis; not an edit of a closed dossier, not a delete', () => {
    expect(candidateEvents({ kind: 'created', after: open('d') })).toEqual(['dossierCreated'])
    expect(candidateEvents({ kind: 'created', after: closed('d') })).toEqual(['dossierCreated', 'dossierClosed'])
    expect(candidateEvents(close('d'))).toEqual(['dossierClosed'])
    expect(candidateEvents({ kind: 'updated', before: closed('d'), after: closed('d') })).toEqual([])
    expect(candidateEvents(reopen('d'))).toEqual([])
    expect(candidateEvents({ kind: 'analysisCompleted', dossierId: 'd' })).toEqual(['analysisCompleted'])
    expect(candidateEvents({ kind: 'deleted', dossierId: 'd' })).toEqual([])
  })
})

describe("the guide's calls", () => {
  it('updateTenantScore accumulates points, getTopTenants returns the 10 best, best first', async () => {
    const board = instance(uniquePrefix('zset'))
    for (let i = 1; i <= 12; i++) await board.updateTenantScore(`tenant-${i}`, i * 10)
    expect(await board.updateTenantScore('tenant-1', 1_000)).toBe(1_010)
    const top = await board.getTopTenants()
    expect(top).toHaveLength(10)
    expect(top[0]).toEqual({ member: 'tenant-1', score: 1_010 })
    expect(top[1]).toEqual({ member: 'tenant-12', score: 120 })
    expect(top.map((t) => t.member)).not.toContain('tenant-2')
    expect(await board.getTenantRank('tenant-12')).toBe(1)
    expect(await board.getTenantRank('tenant-unknown')).toBeNull()
  })
})

describe('each dossier earns its points once', () => {
  it('closing and reopening 20 times, and re-running its analysis 10 times, scores 1 + 5 + 3', async () => {
    const board = instance(uniquePrefix('fair'))
    await board.recordChange('cab', { kind: 'created', after: open('d1') })
    for (let i = 0; i < 20; i++) {
      await board.recordChange('cab', close('d1'))
      await board.recordChange('cab', reopen('d1'))
    }
    for (let i = 0; i < 10; i++) await board.recordChange('cab', { kind: 'analysisCompleted', dossierId: 'd1' })
    expect(await score(board, 'cab')).toBe(1 + 5 + 3)
    // Another dossier earns its own points.
    await board.recordChange('cab', { kind: 'created', after: closed('d2') })
    await board.recordChange('cab', reopen('d2'))
    await board.recordChange('cab', close('d2'))
    expect(await score(board, 'cab')).toBe(9 + 1 + 5)
  })

  it('the same close raced from 4 instances, 25 requests each, scores once', async () => {
    const prefix = uniquePrefix('fair-race')
    const boards = Array.from({ length: 4 }, () => instance(prefix))
    await boards[0]!.recordChange('cab', { kind: 'created', after: open('d') })
    await Promise.all(boards.flatMap((b) => Array.from({ length: 25 }, () => b.recordChange('cab', close('d')))))
    await Promise.all(
      boards.flatMap((b) =>
        Array.from({ length: 25 }, () => b.recordChange('cab', { kind: 'analysisCompleted', dossierId: 'd' })),
      ),
    )
    expect(await score(boards[3]!, 'cab')).toBe(1 + 5 + 3)
  })

  it('deleting a dossier does not let its close or analysis be earned again under the same id', async () => {
    const board = instance(uniquePrefix('fair-delete'))
    await board.recordChange('cab', { kind: 'created', after: open('d') })
    await board.recordChange('cab', close('d'))
    await board.recordChange('cab', { kind: 'analysisCompleted', dossierId: 'd' })
    expect(await board.getActiveDossiers('cab')).toHaveLength(1)
    await board.recordChange('cab', { kind: 'deleted', dossierId: 'd' })
    expect(await board.getActiveDossiers('cab')).toEqual([])
    await board.recordChange('cab', reopen('d'))
    await board.recordChange('cab', close('d'))
    await board.recordChange('cab', { kind: 'analysisCompleted', dossierId: 'd' })
    expect(await score(board, 'cab')).toBe(9)
  })

  it('points are per cabinet: the same dossier id in another cabinet is another dossier', async () => {
    const board = instance(uniquePrefix('fair-tenants'))
    await board.recordChange('a', close('d'))
    await board.recordChange('b', close('d'))
    expect([await score(board, 'a'), await score(board, 'b')]).toEqual([5, 5])
  })
})

describe('standings: your cabinet always, ranks shared by ties', () => {
  it('a cabinet with 0 points is shown to itself after every cabinet with points; others at 0 are not shown', async () => {
    const board = instance(uniquePrefix('fair-rank'))
    expect(await board.standings('me')).toEqual({ top: [], yours: { tenantId: 'me', score: 0, rank: 1 } })
    await board.updateTenantScore('a', 9)
    await board.updateTenantScore('b', 9)
    await board.updateTenantScore('c', 4)
    await board.updateTenantScore('zero', 0)
    const { top, yours } = await board.standings('me')
    expect(top).toEqual([
      { tenantId: expect.any(String), score: 9, rank: 1 },
      { tenantId: expect.any(String), score: 9, rank: 1 },
      { tenantId: 'c', score: 4, rank: 3 },
    ])
    expect(yours).toEqual({ tenantId: 'me', score: 0, rank: 4 })
    expect((await board.standings('c')).yours).toEqual({ tenantId: 'c', score: 4, rank: 3 })
  })

  it('below the n best: its score and 1 + the cabinets above it', async () => {
    const board = instance(uniquePrefix('fair-below'))
    for (let i = 1; i <= 12; i++) await board.updateTenantScore(`t${i}`, i * 10)
    await board.updateTenantScore('me', 20) // tied with t2
    const { top, yours } = await board.standings('me', 10)
    expect(top.map((s) => s.tenantId)).not.toContain('me')
    expect(yours).toEqual({ tenantId: 'me', score: 20, rank: 11 })
    expect((await board.standings('nobody', 10)).yours).toEqual({ tenantId: 'nobody', score: 0, rank: 14 })
  })
})

describe('billed commands (private redis-server)', () => {
  let stack: Stack
  let board: Leaderboard
  beforeAll(async () => {
    stack = await startStack()
    board = instance('fair-cost', stack.env)
  })
  afterAll(async () => {
    await stack?.stop()
  })
  const billed = async (fn: () => Promise<unknown>) => (await billedCommands(stack.env.REDIS_URL, fn)).total

  it('create 2, first close 3, close again 2, other edit 1, first analysis 3, again 2, delete 1', async () => {
    expect(await billed(() => board.recordChange('cab', { kind: 'created', after: open('d') }))).toBe(2)
    expect(await billed(() => board.recordChange('cab', close('d')))).toBe(3)
    expect(await billed(() => board.recordChange('cab', reopen('d')))).toBe(1)
    expect(await billed(() => board.recordChange('cab', close('d')))).toBe(2)
    expect(await billed(() => board.recordChange('cab', { kind: 'analysisCompleted', dossierId: 'd' }))).toBe(3)
    expect(await billed(() => board.recordChange('cab', { kind: 'analysisCompleted', dossierId: 'd' }))).toBe(2)
    expect(await billed(() => board.recordChange('cab', { kind: 'created', after: closed('e') }))).toBe(3)
    expect(await billed(() => board.recordChange('cab', { kind: 'deleted', dossierId: 'd' }))).toBe(1)
  })

  it('standings: 1 command when you are among the best, 3 when below them', async () => {
    expect(await billed(() => board.standings('cab'))).toBe(1)
    for (let i = 1; i <= 3; i++) await board.updateTenantScore(`t${i}`, 100 + i)
    expect(await billed(() => board.standings('cab', 2))).toBe(3)
    expect(await billed(() => board.standings('nobody', 10))).toBe(1)
    expect((await board.standings('cab', 2)).yours).toEqual({ tenantId: 'cab', score: 15, rank: 4 })
    expect(TENANT_LEADERBOARD).toBe('tenant-leaderboard')
  })
})
