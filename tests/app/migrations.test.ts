import { execFileSync } from 'node:child_process'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrationSql } from '../../testing/database'

/** Tables, columns, indexes and foreign keys of a SQLite database: what a schema is, whatever SQL built it. */
function shape(sql: string) {
  const db = new Database(':memory:')
  try {
    db.exec(sql)
    const tables = (
      db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
        .all() as { name: string }[]
    ).map((t) => t.name)
    return tables.map((t) => ({
      table: t,
      columns: db.prepare(`PRAGMA table_info("${t}")`).all(),
      indexes: (db.prepare(`PRAGMA index_list("${t}")`).all() as { name: string; unique: number }[])
        .map((i) => ({
          name: i.name,
          unique: i.unique,
          columns: (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { name: string }[]).map((c) => c.name),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      foreignKeys: db.prepare(`PRAGMA foreign_key_list("${t}")`).all(),
    }))
  } finally {
    db.close()
  }
}

describe('prisma/migrations', () => {
  it('build exactly the schema in prisma/schema.prisma (author new ones with `prisma migrate diff`)', () => {
    const fromSchema = execFileSync(
      process.execPath,
      [
        path.resolve('node_modules/prisma/build/index.js'),
        'migrate',
        'diff',
        '--from-empty',
        '--to-schema-datamodel',
        'prisma/schema.prisma',
        '--script',
      ],
      { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' }, stdio: ['ignore', 'pipe', 'ignore'] },
    )
    expect(shape(migrationSql())).toEqual(shape(fromSchema))
  })
})
