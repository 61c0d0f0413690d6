import { cronDrainAll } from '@/app/api/cron/drain-all'

export const dynamic = 'force-dynamic'
/** Vercel stops the function after this many seconds (CRON_MAX_DURATION_MS in ../drain-all.ts says the same). */
export const maxDuration = 60

/**
 * GET /api/cron/analysis: the cron route's first name, kept for vercel.json files and deployments that
 * call it. It drains everything, exactly as GET /api/cron/drain (analyses, reminders, e-mail): see
 * ../drain-all.ts for the secret, the budget, the cost and the answer.
 */
export const GET = cronDrainAll
