'use client'

import { useRouter } from 'next/navigation'
import { useEffect } from 'react'

/**
 * While an analysis is pending, re-renders the page from the server every few seconds (1.5 s at
 * first, then slower), so the status changes by itself. Page requests are not counted against the
 * API's rate limit; each costs the page's cached reads.
 */
export function AnalysisRefresher({ pending }: { pending: boolean }) {
  const router = useRouter()
  useEffect(() => {
    if (!pending) return
    let delay = 1500
    let timer: ReturnType<typeof setTimeout>
    const tick = () => {
      router.refresh()
      delay = Math.min(delay * 1.5, 10_000)
      timer = setTimeout(tick, delay)
    }
    timer = setTimeout(tick, delay)
    return () => clearTimeout(timer)
  }, [pending, router])
  return null
}
