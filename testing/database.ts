import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'

const MIGRATIONS = path.resolve(__dirname, '../prisma/migrations')

/** The SQL of every migration in prisma/migrations, in order (what `prisma migrate deploy` applies). */
export function migrationSql(): string {
  return readdirSync(MIGRATIONS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => readFileSync(path.join(MIGRATIONS, name, 'migration.sql'), 'utf8'))
    .join('\n')
}

/** A fresh SQLite file with the project's migrations applied; `url` is its DATABASE_URL. */
export function tempDatabase(label: string): { url: string; file: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `${label}-`))
  const file = path.join(dir, 'test.db')
  const db = new Database(file)
  db.exec(migrationSql())
  db.close()
  return { url: `file:${file}`, file, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
