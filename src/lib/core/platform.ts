import { appConfig, type AppConfig } from '@/lib/core/config'

/**
 * Whether a user is one of the platform's operators (PLATFORM_ADMIN_EMAILS), the only ones shown
 * platform-wide figures: every cabinet's work shows in them. A cabinet's ADMIN is not one by role.
 */
export function isPlatformOperator(
  identity: { email: string },
  config: Pick<AppConfig, 'platformAdminEmails'> = appConfig(),
): boolean {
  const email = identity.email.trim().toLowerCase()
  return email !== '' && config.platformAdminEmails.includes(email)
}
