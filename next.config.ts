import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // better-sqlite3 is a native addon: load it from node_modules at run time, never bundle it.
  serverExternalPackages: ['better-sqlite3'],
  // Tests build into a folder per version of the sources (tests/support/app.ts), so runs never share a half-written build.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // The build type-checks the app only (src/); `npm run typecheck` checks everything, tests and scripts included.
  typescript: { tsconfigPath: 'tsconfig.next.json' },
}

export default nextConfig
