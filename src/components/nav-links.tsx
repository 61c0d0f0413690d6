'use client'

import Link from 'next/link'
import { usePathname } from 'next/navigation'
import { useEffect, useRef } from 'react'

/** `narrowOnly`: shown on phones only (wider screens reach it from the name in the header's corner). */
const LINKS: { href: string; label: string; match: (p: string) => boolean; narrowOnly?: boolean }[] = [
  {
    href: '/dossiers',
    label: 'Dossiers',
    match: (p: string) => p === '/dossiers' || p.startsWith('/dossiers/'),
  },
  { href: '/echeances', label: 'Échéances', match: (p: string) => p === '/echeances' },
  { href: '/leaderboard', label: 'Classement', match: (p: string) => p === '/leaderboard' },
  { href: '/status', label: 'État du service', match: (p: string) => p === '/status' },
  { href: '/compte', label: 'Mon compte', match: (p: string) => p.startsWith('/compte'), narrowOnly: true },
]

/**
 * The main navigation; the current section is marked for screen readers and visually. On a phone it is
 * one row that scrolls sideways (never a lone entry on a second row): its right edge fades while more
 * entries are out of view, and the current entry is scrolled into view.
 */
export function NavLinks() {
  const pathname = usePathname()
  const list = useRef<HTMLUListElement>(null)
  useEffect(() => {
    const current = list.current?.querySelector<HTMLElement>('[aria-current="page"]')
    const ul = list.current
    // Only when the current entry is hidden (or under the fade): the first entries stay in view otherwise.
    if (!current || !ul) return
    const hiddenBy = current.getBoundingClientRect().right - (ul.getBoundingClientRect().right - 48)
    if (hiddenBy > 0) ul.scrollLeft += hiddenBy
  }, [pathname])
  return (
    <ul
      ref={list}
      className="flex snap-x gap-x-1 overflow-x-auto pr-10 whitespace-nowrap [mask-image:linear-gradient(to_right,black_calc(100%-3rem),transparent)] [scrollbar-width:none] sm:-mx-3 md:overflow-visible md:pr-0 md:[mask-image:none]"
    >
      {LINKS.map(({ href, label, match, narrowOnly }) => {
        const current = match(pathname)
        return (
          <li key={href} className={`shrink-0 snap-start ${narrowOnly ? 'md:hidden' : ''}`}>
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
