/**
 * Invitations and password reset at the service level, with the app's default wiring (process-wide
 * queue, token store, sessions, database, SMTP from the environment): a private redis-server behind the
 * local endpoint, an SQLite file, a real SMTP server. The e-mail's link is read from the received message.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '@/lib/auth/password'
import { login, resolveSession } from '@/lib/auth/sessions'
import { invitations } from '@/lib/accounts/invitations'
import { passwordReset } from '@/lib/accounts/password-reset'
import { drainEmails } from '@/lib/mail/drain'
import { prisma } from '@/lib/core/prisma'
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

    expect(await passwordReset().request({ email: ' Admin@Cabinet-Omega.fr ' }, 'ip-a')).toEqual({ accepted: true })
    const token = await tokenMailedTo(ADMIN, '/mot-de-passe/nouveau', 1)
    const mail = wiring.smtp.to(ADMIN).at(-1)!
    expect(mail.subject).toBe('Réinitialisation de votre mot de passe IA Poste Manager')
    expect(mail.text).toContain('Bonjour Maître Admin,')
    expect(await passwordReset().check(token)).toBe(true)

    // A password too short is refused before the link is spent.
    await expect(passwordReset().confirm({ token, password: 'court' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/password must be at least 10 characters/),
    })
    expect(await passwordReset().check(token)).toBe(true)

    expect(await passwordReset().confirm({ token, password: 'nouveau-mot-de-passe' })).toEqual({
      userId: adminId,
      sessionsEnded: 2,
    })
    expect(await resolveSession(cookie)).toBeNull()
    expect(await resolveSession(other.cookie)).toBeNull()
    await expect(login({ email: ADMIN, password: 'ancien-mot-de-passe' }, '203.0.113.7')).rejects.toMatchObject({
      status: 401,
    })
    expect((await login({ email: ADMIN, password: 'nouveau-mot-de-passe' }, '203.0.113.7')).user.id).toBe(adminId)

    await expect(passwordReset().confirm({ token, password: 'encore-un-autre-mot' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/invalid, expired or already used/),
    })
    expect(await passwordReset().check(token)).toBe(false)
  })

  it('answers the same for an unknown address and sends nothing; the token is stored hashed, with a 1-hour TTL', async () => {
    expect(await passwordReset().request({ email: 'personne@nulle-part.fr' }, 'ip-c')).toEqual({ accepted: true })
    expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ processed: 0, stoppedBy: 'empty' })
    await expect(passwordReset().request({ email: 'pas une adresse' }, 'ip-c')).rejects.toMatchObject({ status: 400 })

    await passwordReset().request({ email: AVOCAT }, 'ip-c')
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
  })

  it('is rate-limited: per address silently (nothing more is sent), per client with a 429', async () => {
    const before = wiring.smtp.to(AVOCAT).length
    // AVOCAT already asked once (previous test): 2 more are sent, the 4th within the hour is not.
    for (let i = 0; i < 3; i++)
      expect(await passwordReset().request({ email: AVOCAT }, `ip-d${i}`)).toEqual({ accepted: true })
    expect(await drainEmails({ deadlineMs: 10_000 })).toMatchObject({ sent: 2 })
    expect(wiring.smtp.to(AVOCAT).length - before).toBe(2)

    for (let i = 0; i < 10; i++) await passwordReset().request({ email: `inconnu${i}@nulle-part.fr` }, 'ip-e')
    await expect(passwordReset().request({ email: 'inconnu-bis@nulle-part.fr' }, 'ip-e')).rejects.toMatchObject({
      status: 429,
    })
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
