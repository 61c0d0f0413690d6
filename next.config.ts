import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // Native addons (and the packages that load them) are loaded from node_modules at run time, never
  // bundled: better-sqlite3 for file: databases; libsql (+ @libsql/<platform>) when DATABASE_DRIVER=libsql
  // opens a file. Next lists these by default too; stated here so the build does not depend on that list.
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-libsql', '@libsql/client', 'libsql'],
  // Tests build into a folder per version of the sources (testing/app.ts), so runs never share a half-written build.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // The build type-checks the app only (src/); `npm run typecheck` checks everything, tests and scripts included.
  typescript: { tsconfigPath: 'tsconfig.next.json' },
  poweredByHeader: false,
  // Every page's <title> in the first bytes of its HTML, for every browser, not streamed in afterwards (Next's
  // default outside crawlers): a screen reader announces the page by its title as it loads. The titles are
  // static, so nothing waits for them.
  htmlLimitedBots: /.*/,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          // No MIME sniffing, no framing (clickjacking), no referrer beyond the origin.
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          ...(process.env.NODE_ENV === 'production'
            ? [{ key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' }]
            : []),
        ],
      },
    ]
  },
}

export default nextConfig
