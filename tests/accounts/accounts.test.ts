/**
 * Invitations and password reset at the service level, with the app's default wiring (process-wide
 * queue, token store, sessions, database, SMTP from the environment): a private redis-server behind the
 * local endpoint, an SQLite file, a real SMTP server. The e-mail's link is read from the received message.
 * The work a password reset request hands over to run after its answer (after() in the app) is kept here
 * and run by the test once it holds the answer, as after() would once the response was sent.
 */
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '@/lib/auth/password'
import { login, resolveSession } from '@/lib/auth/sessions'
import { invitations } from '@/lib/accounts/invitations'
import { createPasswordReset, type PasswordResetDeps } from '@/lib/accounts/password-reset'
import { drainEmails } from '@/lib/mail/drain'
import { PrismaClient } from '@/generated/prisma/client'
import { databaseAdapter, databaseConfig } from '@/lib/core/database'
import { createPrismaClient, prisma } from '@/lib/core/prisma'
import { billedCommands } from '../../testing/redis-direct'
import { useDefaultWiring } from '../support/default-wiring'

const wiring = useDefaultWiring('accounts', {
  MAIL_FROM: 'Cabinet Oméga <no-reply@cabinet-omega.fr>',
  APP_ORIGIN: 'https://app.cabinet-omega.fr',
})
let cabinetId: string
let adminId: string
let avocatId: string
const ADMIN = 'admin@cabinet-omega.fr'
const AVOCAT = 'avocat@cabinet-omega.fr'

beforeAll(async () => {
  const t = await prisma.tenant.create({ data: { name: 'Cabinet Oméga', referencePrefix: 'OME' } })
  cabinetId = t.id
  const member = async (email: string, name: string, role: 'ADMIN' | 'AVOCAT', password: string) =>
    (
      await prisma.user.create({
        data: { tenantId: t.id, email, name, role, passwordHash: await hashPassword(password) },
      })
    ).id
  adminId = await member(ADMIN, 'Maître Admin', 'ADMIN', 'ancien-mot-de-passe')
  avocatId = await member(AVOCAT, 'Maître Avocat', 'AVOCAT', 'mot-de-passe-avocat')
})

/** What request() handed over to run after its answer, not run yet (after() keeps it so in the app). */
const deferred: (() => Promise<void>)[] = []
/** What that work logged (its failures). */
const logged: string[] = []

/** The app's password reset but for `defer` and `log`, which keep the work and the log lines here. */
function resetService(deps: PasswordResetDeps = {}) {
  return createPasswordReset({ defer: (work) => void deferred.push(work), log: (m) => void logged.push(m), ...deps })
}
const reset = resetService()

/** Runs the work handed over by the answers given so far (as after() does once they are sent): how many. */
async function afterTheAnswers(): Promise<number> {
  const works = deferred.splice(0)
  await Promise.all(works.map((work) => work()))
  return works.length
}

/** Sends what is queued, then the link token of the newest message to `to`. */
async function tokenMailedTo(to: string, path: string, nth: number): Promise<string> {
  const r = await drainEmails({ deadlineMs: 10_000 })
  expect(r.stoppedBy).toBe('empty')
  const mails = await wiring.smtp.waitFor(nth, (m) => m.to.includes(to))
  const text = mails[nth - 1]!.text
  const m = new RegExp(`https://app\\.cabinet-omega\\.fr${path}\\?token=([A-Za-z0-9_-]{43})`).exec(text)
  expect(m, text).not.toBeNull()
  return m![1]!
}

describe('password reset', () => {
  it('end to end: the link works once, the old password stops working, every session ends', async () => {
    const { cookie } = await login({ email: ADMIN, password: 'ancien-mot-de-passe' }, '203.0.113.7')
    const other = await login({ email: ADMIN, password: 'ancien-mot-de-passe' }, '203.0.113.8')
    expect(await resolveSession(cookie)).toMatchObject({ userId: adminId })

    expect(await reset.request({ email: ' Admin@Cabinet-Omega.fr ' }, 'ip-a')).toEqual({ accepted: true })
    // The answer came before anything was issued: nothing is queued until the work handed over runs.
    expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ processed: 0, stoppedBy: 'empty' })
    expect(await afterTheAnswers()).toBe(1)
    const token = await tokenMailedTo(ADMIN, '/mot-de-passe/nouveau', 1)
    const mail = wiring.smtp.to(ADMIN).at(-1)!
    expect(mail.subject).toBe('Réinitialisation de votre mot de passe IA Poste Manager')
    expect(mail.text).toContain('Bonjour Maître Admin,')
    expect(await reset.check(token)).toBe(true)

    // A password too short is refused before the link is spent.
    await expect(reset.confirm({ token, password: 'court' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/password must be at least 10 characters/),
    })
    expect(await reset.check(token)).toBe(true)

    expect(await reset.confirm({ token, password: 'nouveau-mot-de-passe' })).toEqual({
      userId: adminId,
      sessionsEnded: 2,
    })
    expect(await resolveSession(cookie)).toBeNull()
    expect(await resolveSession(other.cookie)).toBeNull()
    await expect(login({ email: ADMIN, password: 'ancien-mot-de-passe' }, '203.0.113.7')).rejects.toMatchObject({
      status: 401,
    })
    expect((await login({ email: ADMIN, password: 'nouveau-mot-de-passe' }, '203.0.113.7')).user.id).toBe(adminId)

    await expect(reset.confirm({ token, password: 'encore-un-autre-mot' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/invalid, expired or already used/),
    })
    expect(await reset.check(token)).toBe(false)
    expect(logged).toEqual([])
  })

  it('answers the same for an unknown address and sends nothing; the token is stored hashed, with a 1-hour TTL', async () => {
    expect(await reset.request({ email: 'personne@nulle-part.fr' }, 'ip-c')).toEqual({ accepted: true })
    expect(await afterTheAnswers()).toBe(1)
    expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ processed: 0, stoppedBy: 'empty' })
    // A malformed address: 400 on the spot, nothing handed over.
    await expect(reset.request({ email: 'pas une adresse' }, 'ip-c')).rejects.toMatchObject({ status: 400 })
    expect(deferred).toEqual([])

    await reset.request({ email: AVOCAT }, 'ip-c')
    expect(await afterTheAnswers()).toBe(1)
    const token = await tokenMailedTo(AVOCAT, '/mot-de-passe/nouveau', 1)
    const { directClient } = await import('../../testing/redis-direct')
    const r = await directClient(wiring.stack.env.REDIS_URL)
    try {
      const keys = await r.keys(`${process.env.REDIS_KEY_PREFIX}:token:password-reset:*`)
      expect(keys.length).toBeGreaterThanOrEqual(1)
      for (const k of keys) {
        expect(k).not.toContain(token)
        expect(await r.get(k)).not.toContain(token)
        const ttl = await r.ttl(k)
        expect(ttl).toBeGreaterThan(3500)
        expect(ttl).toBeLessThanOrEqual(3600)
      }
    } finally {
      await r.close()
    }
    expect(logged).toEqual([])
  })

  it('is rate-limited: per address silently (nothing more is sent), per client with a 429', async () => {
    const before = wiring.smtp.to(AVOCAT).length
    // AVOCAT already asked once (previous test): 2 more are sent, the 4th within the hour is not.
    for (let i = 0; i < 3; i++) expect(await reset.request({ email: AVOCAT }, `ip-d${i}`)).toEqual({ accepted: true })
    expect(await afterTheAnswers()).toBe(3)
    expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ sent: 2 })
    expect(wiring.smtp.to(AVOCAT).length - before).toBe(2)

    for (let i = 0; i < 10; i++) await reset.request({ email: `inconnu${i}@nulle-part.fr` }, 'ip-e')
    await expect(reset.request({ email: 'inconnu-bis@nulle-part.fr' }, 'ip-e')).rejects.toMatchObject({
      status: 429,
    })
    await expect(reset.request({ email: ADMIN }, 'ip-e')).rejects.toMatchObject({ status: 429 })
    // Refused: nothing handed over for the two refused requests (the 10 admitted ones only).
    expect(await afterTheAnswers()).toBe(10)
    expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ processed: 0, stoppedBy: 'empty' })
    expect(logged).toEqual([])
  })

  it('does the same work before the answer for a known and an unknown address: the same Redis commands, no database query', async () => {
    const GREFFE = 'greffe@cabinet-omega.fr'
    await prisma.user.create({
      data: {
        tenantId: cabinetId,
        email: GREFFE,
        name: 'Greffe',
        role: 'ASSISTANT',
        passwordHash: await hashPassword('mot-de-passe-greffe'),
      },
    })
    // The SQL this service sends, told by a client of the same database.
    const queries: string[] = []
    const counted = new PrismaClient({
      adapter: databaseAdapter(databaseConfig({ DATABASE_URL: wiring.db.url })),
      log: [{ emit: 'event', level: 'query' }],
    })
    counted.$on('query', (e) => void queries.push(e.query))
    const measured = resetService({ prisma: counted })
    /** Billed Redis commands (counted by redis-server) and database queries until the answer, nothing run after it. */
    const beforeTheAnswer = async (email: string, clientKey: string) => {
      queries.length = 0
      const { total, byCommand } = await billedCommands(wiring.stack.env.REDIS_URL, async () =>
        expect(await measured.request({ email }, clientKey)).toEqual({ accepted: true }),
      )
      return { total, byCommand, queries: [...queries] }
    }
    try {
      // Each address from a client of its own: a first request (a new rate-limit bucket), then a second.
      const known = [await beforeTheAnswer(GREFFE, 'ip-known'), await beforeTheAnswer(GREFFE, 'ip-known')]
      const unknown = [
        await beforeTheAnswer('greffe@nulle-part.fr', 'ip-unknown'),
        await beforeTheAnswer('greffe@nulle-part.fr', 'ip-unknown'),
      ]
      expect(known).toEqual(unknown)
      // The per-client limit alone: INCR, PEXPIRE NX and GET of the previous bucket the first time, then INCR.
      expect(known).toEqual([
        { total: 3, byCommand: { incr: 1, pexpire: 1, get: 1 }, queries: [] },
        { total: 1, byCommand: { incr: 1 }, queries: [] },
      ])

      // After the answers: the lookup for both, a link for the account only.
      queries.length = 0
      expect(await afterTheAnswers()).toBe(4)
      // (Prisma may batch lookups made at once into one query.)
      expect(queries.length).toBeGreaterThan(0)
      for (const q of queries) expect(q).toMatch(/^SELECT .* FROM `main`\.`User` WHERE/)
      expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ sent: 2, stoppedBy: 'empty' })
      expect(wiring.smtp.to(GREFFE)).toHaveLength(2)
      expect(wiring.smtp.to('greffe@nulle-part.fr')).toEqual([])
      expect(logged).toEqual([])
    } finally {
      await counted.$disconnect()
    }
  })

  it('logs a failure after the answer without the address or the token, and sends nothing', async () => {
    // A real database without the tables: the account lookup after the answer fails.
    const broken = createPrismaClient(`file:${path.join(path.dirname(wiring.db.file), 'empty.db')}`)
    try {
      const failing = resetService({ prisma: broken })
      expect(await failing.request({ email: ADMIN.toUpperCase() }, 'ip-f')).toEqual({ accepted: true })
      expect(await afterTheAnswers()).toBe(1) // resolved: nothing thrown
      expect(logged).toHaveLength(1)
      expect(logged[0]).toMatch(
        /^\[accounts\] a password reset request was dropped after the answer: .*The table `main.User` does not exist/,
      )
      expect(logged[0]).not.toContain('\n')
      expect(logged[0]!.toLowerCase()).not.toContain(ADMIN)
      expect(logged[0]).not.toMatch(/[A-Za-z0-9_-]{43}/)
      expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ processed: 0, stoppedBy: 'empty' })
    } finally {
      logged.length = 0
      await broken.$disconnect()
    }
  })
})

describe('invitations', () => {
  const inviter = () => ({ cabinetId, userId: adminId, role: 'ADMIN' as const })

  it('end to end: an ADMIN invites, the link creates the account in the inviter’s cabinet, once', async () => {
    await expect(
      invitations().invite({ cabinetId, userId: avocatId, role: 'AVOCAT' }, { email: 'x@y.fr', role: 'AVOCAT' }),
    ).rejects.toMatchObject({ status: 403 })
    await expect(invitations().invite(inviter(), { email: AVOCAT, role: 'AVOCAT' })).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/already exists/),
    })
    await expect(
      invitations().invite(inviter(), { email: 'nouvelle@cabinet-omega.fr', role: 'STAGIAIRE' }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/role must be one of ADMIN, AVOCAT, ASSISTANT/),
    })

    expect(await invitations().invite(inviter(), { email: 'Nouvelle@Cabinet-Omega.fr', role: 'AVOCAT' })).toMatchObject(
      { email: 'nouvelle@cabinet-omega.fr', role: 'AVOCAT' },
    )
    const token = await tokenMailedTo('nouvelle@cabinet-omega.fr', '/invitation', 1)
    const mail = wiring.smtp.to('nouvelle@cabinet-omega.fr').at(-1)!
    expect(mail.subject).toBe('Invitation à rejoindre Cabinet Oméga sur IA Poste Manager')
    expect(mail.text).toContain(
      'Maître Admin vous invite à rejoindre Cabinet Oméga sur IA Poste Manager en tant qu’avocat(e).',
    )
    expect(await invitations().peek(token)).toMatchObject({
      email: 'nouvelle@cabinet-omega.fr',
      role: 'AVOCAT',
      cabinetName: 'Cabinet Oméga',
    })

    await expect(invitations().accept({ token, name: 'Maître Nouvelle', password: 'court' })).rejects.toMatchObject({
      status: 400,
    })
    expect(await invitations().peek(token)).not.toBeNull()

    const created = await invitations().accept({ token, name: 'Maître Nouvelle', password: 'mot-de-passe-nouvelle' })
    expect(created).toMatchObject({ email: 'nouvelle@cabinet-omega.fr', cabinetId, role: 'AVOCAT' })
    const session = await login(
      { email: 'nouvelle@cabinet-omega.fr', password: 'mot-de-passe-nouvelle' },
      '203.0.113.9',
    )
    expect(session.user).toMatchObject({ name: 'Maître Nouvelle', role: 'AVOCAT', tenant: { id: cabinetId } })

    await expect(
      invitations().accept({ token, name: 'Encore', password: 'mot-de-passe-nouvelle' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/invalid, expired or already used/) })
    expect(await invitations().peek(token)).toBeNull()
    expect(await invitations().peek('pas-un-jeton')).toBeNull()
  })

  it('an address that got an account meanwhile is a clear 409 at acceptance', async () => {
    await invitations().invite(inviter(), { email: 'double@cabinet-omega.fr', role: 'ASSISTANT' })
    const token = await tokenMailedTo('double@cabinet-omega.fr', '/invitation', 1)
    await prisma.user.create({
      data: { tenantId: cabinetId, email: 'double@cabinet-omega.fr', passwordHash: 'x', role: 'ASSISTANT' },
    })
    await expect(
      invitations().accept({ token, name: 'Double', password: 'mot-de-passe-double' }),
    ).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/already exists/) })
  })
})
