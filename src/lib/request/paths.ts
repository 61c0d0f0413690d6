/** Where pages send visitors to log in, and where the login sends them back (the request context is src/lib/request). */

/** `/login?next=<path>` (no `next` for the default landing page). */
export function loginPath(path: string): string {
  const next = safeNext(path)
  return next === DEFAULT_LANDING ? '/login' : `/login?next=${encodeURIComponent(next)}`
}

export const DEFAULT_LANDING = '/dossiers'

/**
 * Where to go after login: `next` only when it is a path of this site (no scheme, no host, no
 * `//evil.example` nor `/\evil.example`, which browsers read as another host), else the dossiers.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return DEFAULT_LANDING
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return DEFAULT_LANDING
  // Control characters and backslashes have no place in our paths; browsers strip or rewrite them.
  if (/[\u0000-\u001F\u007F\\]/.test(next)) return DEFAULT_LANDING
  let url: URL
  try {
    url = new URL(next, 'http://iapm.invalid')
  } catch {
    return DEFAULT_LANDING
  }
  if (url.origin !== 'http://iapm.invalid') return DEFAULT_LANDING
  const path = `${url.pathname}${url.search}`
  // Checked again once dot segments are resolved: `/.//evil.example`, `/a/..//evil.example` and
  // `/%2e%2e//evil.example` all become `//evil.example`, which a browser follows to another host.
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return DEFAULT_LANDING
  if (path === '/login' || path.startsWith('/login?') || path.startsWith('/api/')) return DEFAULT_LANDING
  return path
}
