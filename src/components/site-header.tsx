import Link from 'next/link'
import type { Identity } from '@/lib/core/identity'
import { logoutAction } from '@/actions/auth'
import { PLAN_LABELS, ROLE_LABELS } from '@/lib/pages/labels'
import type { TenantProfile } from '@/lib/tenants/profile'
import { NavLinks } from './nav-links'

/**
 * Every page's header: the app, the cabinet (name, plan, active dossiers), the navigation and logout.
 * `profile` is started by the layout (within the request's Redis budget) and awaited here, so the page
 * does not wait for it; null when Redis and the database cannot say.
 */
export async function SiteHeader({
  identity,
  profile: loading,
}: {
  identity: Identity | null
  profile: Promise<TenantProfile | null>
}) {
  const profile = await loading
  const cabinet = identity && (
    <>
      <span className="font-semibold text-slate-900">{profile?.name ?? 'Cabinet'}</span>
      {profile && (
        <>
          {' · '}
          <span className="whitespace-nowrap">{PLAN_LABELS[profile.plan] ?? `Offre ${profile.plan}`}</span>
          {' · '}
          <span className="whitespace-nowrap">
            {profile.activeDossiers} dossier{profile.activeDossiers > 1 ? 's' : ''} actif
            {profile.activeDossiers > 1 ? 's' : ''}
          </span>
        </>
      )}
    </>
  )
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto max-w-6xl px-4 sm:px-6">
        <div className="flex items-center justify-between gap-4 py-3">
          <div className="flex min-w-0 items-center gap-6">
            <Link
              href={identity ? '/dossiers' : '/login'}
              className="flex min-w-0 items-center gap-2 text-base font-bold whitespace-nowrap text-slate-900 sm:text-lg"
            >
              <span
                aria-hidden="true"
                className="grid h-8 w-8 shrink-0 place-items-center rounded-md bg-blue-700 text-sm text-white"
              >
                IA
              </span>
              IA Poste Manager
            </Link>
            {identity && (
              <p className="hidden text-sm text-slate-700 md:block" data-testid="cabinet">
                {cabinet}
              </p>
            )}
          </div>
          {identity && (
            <div className="flex shrink-0 items-center gap-3">
              <Link
                href="/compte"
                className="hidden rounded-md px-1 text-right text-sm leading-tight hover:bg-slate-100 sm:block"
                title="Mon compte"
              >
                <span className="block font-medium whitespace-nowrap text-slate-900">{identity.name}</span>
                <span className="block text-xs text-slate-600">{ROLE_LABELS[identity.role] ?? identity.role}</span>
              </Link>
              <form action={logoutAction}>
                <button type="submit" className="btn-secondary px-2.5 whitespace-nowrap sm:px-3">
                  Se déconnecter
                </button>
              </form>
            </div>
          )}
        </div>
        {identity && (
          // Narrow screens: the cabinet, then who is logged in (the same content as the wide header, shown once per width).
          <div className="-mt-1 space-y-0.5 pb-2 md:hidden">
            <p className="text-sm text-slate-700" data-testid="cabinet-narrow">
              {cabinet}
            </p>
            <p className="text-sm sm:hidden" data-testid="user-narrow">
              <Link href="/compte" className="text-slate-900 hover:underline">
                <span className="font-medium">{identity.name}</span>
                <span className="text-slate-600"> · {ROLE_LABELS[identity.role] ?? identity.role}</span>
              </Link>
            </p>
          </div>
        )}
        {identity && (
          <nav aria-label="Navigation principale" className="-mx-3 border-t border-slate-100 py-1.5 sm:mx-0">
            <NavLinks />
          </nav>
        )}
      </div>
    </header>
  )
}
