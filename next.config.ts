import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // better-sqlite3 is a native addon: load it from node_modules at run time, never bundle it.
  serverExternalPackages: ['better-sqlite3'],
  // Tests build into a folder per version of the sources (tests/support/app.ts), so runs never share a half-written build.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // The build type-checks the app only (src/); `npm run typecheck` checks everything, tests and scripts included.
  typescript: { tsconfigPath: 'tsconfig.next.json' },
  poweredByHeader: false,
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
          ...(process.env.NODE_ENV === 'production' ? [{ key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' }] : []),
        ],
      },
    ]
  },
}

export default nextConfig
