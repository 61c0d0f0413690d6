import type { ReactNode } from 'react'
import { pageContext } from '@/lib/request/page'

/** Checked here, above the segment's loading.tsx: an anonymous visitor gets a real redirect (307) before anything streams. */
export default async function Layout({ children }: { children: ReactNode }) {
  await pageContext('/leaderboard')
  return children
}
