import { describe, expect, it } from 'vitest'
import { assertReadyToStart, checkStartup, StartupConfigError } from '@/lib/startup-check'

const redis = { UPSTASH_REDIS_REST_URL: 'https://eu1-x.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'AXsecretTOKEN' }
const SMTP_PASSWORD = 'smtpS3cretPassw0rd'
const mail = {
  SMTP_URL: `smtp://apikey:${SMTP_PASSWORD}@smtp-relay.example.fr:587`,
  MAIL_FROM: 'Cabinet Dupont <no-reply@cabinet-dupont.fr>',
  APP_ORIGIN: 'https://app.cabinet-dupont.fr',
}
const prod = {
  NODE_ENV: 'production',
  ...redis,
  DATABASE_URL: 'file:/var/lib/iapm/app.db',
  CRON_SECRET: 'a'.repeat(32),
  SESSION_SECRET: 'b'.repeat(32),
  IAPM_SERVER_STAMP: 's',
  ...mail,
}

describe('checkStartup', () => {
  it('passes a complete production configuration without a word', () => {
    expect(checkStartup(prod)).toEqual({ errors: [], warnings: [] })
    expect(
      checkStartup({
        ...prod,
        UPSTASH_REDIS_REST_URL: undefined,
        UPSTASH_REDIS_REST_TOKEN: undefined,
        KV_REST_API_URL: 'https://kv.upstash.io',
        KV_REST_API_TOKEN: 't',
        VERCEL: '1',
        IAPM_SERVER_STAMP: undefined,
      }),
    ).toEqual({ errors: [], warnings: [] })
  })

  it('refuses production without Redis or DATABASE_URL, listing every problem at once', () => {
    const { errors } = checkStartup({ NODE_ENV: 'production' })
    expect(errors.join('\n')).toMatch(
      /UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required[\s\S]*SESSION_SECRET is required in production[\s\S]*DATABASE_URL is required when NODE_ENV=production/,
    )
    // The worker signs no cookie, but opens the links sealed in queued e-mails with the same secret.
    expect(checkStartup({ ...prod, SESSION_SECRET: undefined }, 'worker').errors).toEqual([
      expect.stringMatching(/SESSION_SECRET is required by the worker in production[\s\S]*sealed/),
    ])
    expect(() => assertReadyToStart({ NODE_ENV: 'production' }, 'server', () => {})).toThrow(StartupConfigError)
  })

  it('lets development start without Redis settings (npm run dev brings its own), with a warning', () => {
    const { errors, warnings } = checkStartup({ NODE_ENV: 'development' })
    expect(errors).toEqual([])
    expect(warnings.join()).toMatch(/UPSTASH_REDIS_REST_URL/)
  })

  it('warns about what works but should not be left so in production', () => {
    const { errors, warnings } = checkStartup({
      ...prod,
      IAPM_SERVER_STAMP: undefined,
      CRON_SECRET: undefined,
      ALLOW_DEMO_ACCOUNTS: 'true',
    })
    expect(errors).toEqual([])
    expect(warnings.join('\n')).toMatch(
      /No trusted client address[\s\S]*CRON_SECRET is not set[\s\S]*ALLOW_DEMO_ACCOUNTS=true/,
    )
    // The worker has no clients and no cron route.
    expect(checkStartup({ ...prod, IAPM_SERVER_STAMP: undefined, CRON_SECRET: undefined }, 'worker').warnings).toEqual(
      [],
    )
  })

  for (const role of ['server', 'worker'] as const) {
    it(`${role}: refuses production without the e-mail settings, naming each variable, never the SMTP password`, () => {
      const none = checkStartup({ ...prod, SMTP_URL: undefined, MAIL_FROM: undefined, APP_ORIGIN: undefined }, role)
      expect(none.errors).toEqual([
        expect.stringMatching(/^SMTP_URL is required in production/),
        expect.stringMatching(/^MAIL_FROM is required in production/),
        expect.stringMatching(/^APP_ORIGIN is required in production/),
      ])
      // Half-configured: only what is missing is named.
      const half = checkStartup({ ...prod, MAIL_FROM: undefined }, role)
      expect(half.errors).toEqual([expect.stringMatching(/^MAIL_FROM is required in production/)])
      expect(JSON.stringify(half)).not.toContain(SMTP_PASSWORD)
      // A wrong SMTP_URL is named, its value (and password) never shown.
      const wrong = checkStartup({ ...prod, SMTP_URL: `https://apikey:${SMTP_PASSWORD}@smtp.example.fr` }, role)
      expect(wrong.errors).toEqual([expect.stringMatching(/^SMTP_URL must start with smtp:\/\/ or smtps:\/\//)])
      const garbage = checkStartup({ ...prod, SMTP_URL: `not a url ${SMTP_PASSWORD}` }, role)
      expect(garbage.errors).toEqual([expect.stringMatching(/^SMTP_URL must be a URL/)])
      for (const r of [none, half, wrong, garbage]) expect(JSON.stringify(r)).not.toContain(SMTP_PASSWORD)
      expect(() => assertReadyToStart({ ...prod, SMTP_URL: undefined }, role, () => {})).toThrow(
        /Refusing to start[\s\S]*SMTP_URL is required in production/,
      )
    })
  }

  it('outside production a missing SMTP_URL is a warning (npm run dev brings a catcher), a wrong one too', () => {
    const dev = checkStartup({ NODE_ENV: 'development', ...redis })
    expect(dev.errors).toEqual([])
    expect(dev.warnings).toEqual([expect.stringMatching(/^SMTP_URL is not set/)])
    expect(checkStartup({ NODE_ENV: 'development', ...redis, SMTP_URL: 'smtp://127.0.0.1:2525' }).warnings).toEqual([])
    const wrong = checkStartup({ NODE_ENV: 'development', ...redis, SMTP_URL: `http://u:${SMTP_PASSWORD}@h` })
    expect(wrong.errors).toEqual([])
    expect(wrong.warnings.join()).toMatch(/SMTP_URL must start with smtp:\/\//)
    expect(JSON.stringify(wrong)).not.toContain(SMTP_PASSWORD)
  })

  it('never prints a secret', () => {
    const secret = 'tooshort'
    const report = checkStartup({
      ...prod,
      CRON_SECRET: secret,
      SESSION_SECRET: `${secret}${secret}`,
      UPSTASH_REDIS_REST_URL: 'not a url',
    })
    const text = report.errors.join('\n')
    expect(text).toMatch(/CRON_SECRET must be at least 16 characters/)
    expect(text).toMatch(/SESSION_SECRET must be at least 32 characters \(got 16\)/)
    expect(text).toMatch(/UPSTASH_REDIS_REST_URL must be a URL/)
    expect(text).not.toContain(secret)
    expect(text).not.toContain(redis.UPSTASH_REDIS_REST_TOKEN)
  })
})
