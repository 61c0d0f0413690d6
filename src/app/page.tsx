import { redirect } from 'next/navigation'
import { DEFAULT_LANDING } from '@/lib/request/paths'

/** The home page is the cabinet's dossiers (which sends an anonymous visitor to /login first). */
export default function Home() {
  redirect(DEFAULT_LANDING)
}
