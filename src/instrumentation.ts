/**
 * Runs once when a server instance starts (Next's instrumentation hook; on Vercel, at each cold start):
 * 1. refuses to start a production server that is half-configured (src/lib/startup-check.ts): no Redis
 *    settings, no DATABASE_URL, an invalid value. scripts/serve.ts has already checked before listening;
 *    this covers a plain `next start` and Vercel, where nothing else runs first;
 * 2. counts this instance's Upstash commands for /status (src/lib/usage/upstash-usage.ts).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  if (!process.env.IAPM_SERVER_STAMP) {
    const refusal = (await import('@/lib/startup-check')).refusalToStart('server')
    if (refusal) {
      // A self-hosted `next start` exits; on Vercel the throw fails the cold start (every request 500s and the logs say why).
      if (!process.env.VERCEL) process.exit(1)
      throw refusal
    }
  }
  const { startUsageCounter } = await import('@/lib/usage/upstash-usage')
  await startUsageCounter()
}
