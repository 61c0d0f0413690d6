/**
 * Cross-site request check for state-changing requests. Browsers send `Sec-Fetch-Site` (and
 * `Origin` on POST/PATCH/DELETE); a request from another site carrying our cookie (SameSite=Lax
 * still sends it on top-level POST navigations in old browsers, and any subdomain counts as
 * same-site) is refused. Non-browser clients send neither header and are not affected.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * true when `request` changes state and comes from a page of another origin. The app's own origin
 * is the one the browser addressed (the Host header, either scheme); `extraOrigins` adds others
 * (APP_ORIGIN behind a proxy that rewrites Host).
 */
export function isCrossSiteWrite(request: Request, extraOrigins: readonly string[] = []): boolean {
  if (SAFE_METHODS.has(request.method)) return false
  const fetchSite = request.headers.get('sec-fetch-site')
  // same-site is not enough: a sibling subdomain is same-site. 'none' = typed by the user.
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') return true
  const origin = request.headers.get('origin')
  if (origin === null) return false
  const host = request.headers.get('host')
  const own = host ? [`https://${host}`, `http://${host}`] : []
  return ![...own, ...extraOrigins].includes(origin)
}
