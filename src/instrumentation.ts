/**
 * Runs once when a server instance starts (Next's instrumentation hook): counts this instance's
 * Upstash commands for /status (src/lib/usage/upstash-usage.ts).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  const { startUsageCounter } = await import('@/lib/usage/upstash-usage')
  await startUsageCounter()
}
