import path from 'node:path'
import { defineConfig } from 'prisma/config'
import { databaseAdapter, databaseConfig } from './src/lib/core/database'

// Engine-free Prisma 6.19: the CLI (migrate deploy, db push) talks to the database through the same
// driver adapter as the app, chosen by DATABASE_URL's scheme (src/lib/core/database.ts), so no
// query/schema engine binary is ever downloaded and `DATABASE_URL=libsql://… npm run db:setup`
// migrates a Turso database.
export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  experimental: { adapter: true },
  engine: 'js',
  async adapter() {
    return databaseAdapter(databaseConfig(process.env))
  },
})
