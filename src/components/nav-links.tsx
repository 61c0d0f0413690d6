'use client'

import Link from 'next/link'
import { usePathname } from 'next/navigation'

const LINKS = [
  {
    href: '/dossiers',
    label: 'Dossiers',
    match: (p: string) => p === '/dossiers' || (p.startsWith('/dossiers/') && p !== '/dossiers/new'),
  },
  { href: '/dossiers/new', label: 'Nouveau dossier', match: (p: string) => p === '/dossiers/new' },
  { href: '/echeances', label: 'Échéances', match: (p: string) => p === '/echeances' },
  { href: '/leaderboard', label: 'Classement', match: (p: string) => p === '/leaderboard' },
  { href: '/status', label: 'État du service', match: (p: string) => p === '/status' },
]

/** The main navigation; the current section is marked for screen readers and visually. */
export function NavLinks() {
  const pathname = usePathname()
  return (
    <ul className="flex flex-wrap gap-x-1 whitespace-nowrap sm:-mx-3">
      {LINKS.map(({ href, label, match }) => {
        const current = match(pathname)
        return (
          <li key={href}>
            <Link
              href={href}
              aria-current={current ? 'page' : undefined}
              className={`block rounded-md px-3 py-2 text-sm font-medium ${current ? 'bg-blue-50 text-blue-800' : 'text-slate-700 hover:bg-slate-100 hover:text-slate-900'}`}
            >
              {label}
            </Link>
          </li>
        )
      })}
    </ul>
  )
}
