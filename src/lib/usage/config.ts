import { z } from 'zod'
import { boolVar as flag, intVar as whole } from '@/lib/core/config'

/**
 * The usage meter's settings (shown on /status), validated with zod; an error names the variable,
 * what was expected and the value received (none of these is a secret).
 */

/** Upstash's free plan: 500 000 commands a month ("max requests limit exceeded" once spent). */
export const DEFAULT_MONTHLY_COMMAND_LIMIT = 500_000
export const DEFAULT_FLUSH_SECONDS = 60

const schema = z.object({
  UPSTASH_MONTHLY_COMMAND_LIMIT: whole(
    'UPSTASH_MONTHLY_COMMAND_LIMIT',
    DEFAULT_MONTHLY_COMMAND_LIMIT,
    [1, 1_000_000_000_000],
    'commands',
  ),
  UPSTASH_USAGE_FLUSH_SECONDS: whole('UPSTASH_USAGE_FLUSH_SECONDS', DEFAULT_FLUSH_SECONDS, [0, 3600], 'seconds'),
  UPSTASH_USAGE_FLUSH_TIMER: flag('UPSTASH_USAGE_FLUSH_TIMER'),
  VERCEL: z.string().optional(),
})

export interface UsageConfig {
  /** Billed commands a month the plan allows (UPSTASH_MONTHLY_COMMAND_LIMIT). */
  monthlyCommandLimit: number
  /** Pending counts are saved at most this often (UPSTASH_USAGE_FLUSH_SECONDS); 0 = no counting. */
  flushSeconds: number
  /**
   * Whether a timer also saves them (UPSTASH_USAGE_FLUSH_TIMER): by default yes, but on Vercel, where a
   * frozen instance never fires it; the end of each request saves them anyway.
   */
  flushTimer: boolean
}

export class UsageConfigError extends Error {
  override name = 'UsageConfigError'
  constructor(
    readonly issues: string[],
    /** The variables at fault. */
    readonly variables: string[],
  ) {
    super(`Invalid usage meter configuration: ${issues.join('; ')}`)
  }
}

/** Validates an environment (process.env by default) into a UsageConfig, or throws UsageConfigError. */
export function parseUsageConfig(env: Record<string, string | undefined> = process.env): UsageConfig {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    throw new UsageConfigError(
      parsed.error.issues.map((i) => i.message),
      parsed.error.issues.map((i) => String(i.path[0])),
    )
  }
  const e = parsed.data
  return {
    monthlyCommandLimit: e.UPSTASH_MONTHLY_COMMAND_LIMIT,
    flushSeconds: e.UPSTASH_USAGE_FLUSH_SECONDS,
    flushTimer: e.UPSTASH_USAGE_FLUSH_TIMER ?? !e.VERCEL,
  }
}
