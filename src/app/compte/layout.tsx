import type { ReactNode } from 'react'
import { pageContext } from '@/lib/request/page'

/** Checked here, above anything that streams: an anonymous visitor gets a real redirect (307). */
export default async function Layout({ children }: { children: ReactNode }) {
  await pageContext('/compte')
  return children
}
