/** PLATFORM_ADMIN_EMAILS (src/lib/core/config.ts) and who is a platform operator (src/lib/core/platform.ts). */
import { describe, expect, it } from 'vitest'
import { AppConfigError, parseAppConfig } from '@/lib/core/config'
import { isPlatformOperator } from '@/lib/core/platform'

describe('PLATFORM_ADMIN_EMAILS', () => {
  it('unset or empty: nobody is an operator, whatever their role', () => {
    for (const value of [undefined, '', '  ']) {
      const config = parseAppConfig({ PLATFORM_ADMIN_EMAILS: value })
      expect(config.platformAdminEmails).toEqual([])
      expect(isPlatformOperator({ email: 'demo@cabinet-dupont.fr' }, config)).toBe(false)
      expect(isPlatformOperator({ email: '' }, config)).toBe(false)
    }
  })

  it('a comma-separated list, trimmed and compared without case', () => {
    const config = parseAppConfig({ PLATFORM_ADMIN_EMAILS: ' Ops@Example.fr, second@example.fr ,' })
    expect(config.platformAdminEmails).toEqual(['ops@example.fr', 'second@example.fr'])
    expect(isPlatformOperator({ email: 'OPS@example.fr' }, config)).toBe(true)
    expect(isPlatformOperator({ email: 'second@example.fr' }, config)).toBe(true)
    expect(isPlatformOperator({ email: 'ops@example.fr.evil' }, config)).toBe(false)
    expect(isPlatformOperator({ email: 'demo@cabinet-dupont.fr' }, config)).toBe(false)
  })

  it('refuses a value that is not e-mails, naming the variable', () => {
    for (const value of ['ops', 'ops@example.fr; other@example.fr', 'ops@example.fr,*']) {
      expect(() => parseAppConfig({ PLATFORM_ADMIN_EMAILS: value })).toThrow(AppConfigError)
      expect(() => parseAppConfig({ PLATFORM_ADMIN_EMAILS: value })).toThrow(
        /PLATFORM_ADMIN_EMAILS must be e-mail addresses separated by commas/,
      )
    }
  })
})
