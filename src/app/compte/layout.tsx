import type { ReactNode } from 'react'
import { requireUser } from '@/lib/pages/auth'

/** Checked here, above anything that streams: an anonymous visitor gets a real redirect (307). */
export default async function Layout({ children }: { children: ReactNode }) {
  await requireUser('/compte')
  return children
}
