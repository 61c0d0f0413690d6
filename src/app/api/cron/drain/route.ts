import { cronDrainAll } from '@/app/api/cron/drain-all'

export const dynamic = 'force-dynamic'
/** Vercel stops the function after this many seconds (CRON_MAX_DURATION_MS in ../drain-all.ts says the same). */
export const maxDuration = 60

/**
 * GET /api/cron/drain (Vercel Cron, vercel.json; `Authorization: Bearer $CRON_SECRET`): what a serverless
 * deployment has no worker for. Drains the analyses and reconciles them, queues the deadline reminders
 * not queued yet, then sends the e-mails due, within maxDuration. See ../drain-all.ts.
 */
export const GET = cronDrainAll
