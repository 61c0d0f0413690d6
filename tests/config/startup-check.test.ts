import { describe, expect, it } from 'vitest'
import { assertReadyToStart, checkStartup, StartupConfigError } from '@/lib/startup-check'

const redis = { UPSTASH_REDIS_REST_URL: 'https://eu1-x.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'AXsecretTOKEN' }
const prod = {
  NODE_ENV: 'production',
  ...redis,
  DATABASE_URL: 'file:/var/lib/iapm/app.db',
  CRON_SECRET: 'a'.repeat(32),
  SESSION_SECRET: 'b'.repeat(32),
  IAPM_SERVER_STAMP: 's',
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
    // The worker signs no cookie.
    expect(checkStartup({ ...prod, SESSION_SECRET: undefined }, 'worker').errors).toEqual([])
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
