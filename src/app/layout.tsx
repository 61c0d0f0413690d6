import type { Metadata, Viewport } from 'next'
import type { ReactNode } from 'react'
import { SiteHeader } from '@/components/site-header'
import { optionalPageContext } from '@/lib/request/page'
import { cabinetCache } from '@/lib/tenants/cabinet-cache'
import type { TenantProfile } from '@/lib/tenants/profile'
import './globals.css'

export const metadata: Metadata = {
  title: { default: 'IA Poste Manager', template: '%s · IA Poste Manager' },
  description: 'Les dossiers de votre cabinet, leur analyse et leur suivi',
}

export const viewport: Viewport = { width: 'device-width', initialScale: 1 }

/** The cabinet's profile for the header; the header still renders when Redis and the database cannot say. */
async function profileOf(tenantId: string): Promise<TenantProfile | null> {
  try {
    return await cabinetCache().profile(tenantId)
  } catch (err) {
    console.warn(`[header] cabinet ${tenantId}: profile unavailable: ${(err as Error).message}`)
    return null
  }
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const ctx = await optionalPageContext()
  const identity = ctx.identity
  const profile = identity ? ctx.run(() => profileOf(identity.tenantId)) : Promise.resolve(null)
  return (
    <html lang="fr">
      <body className="min-h-screen font-sans">
        <a
          href="#contenu"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2"
        >
          Aller au contenu
        </a>
        <SiteHeader identity={identity} profile={profile} />
        <div className="mx-auto max-w-6xl px-4 py-6 sm:px-6 sm:py-8">{children}</div>
      </body>
    </html>
  )
}
