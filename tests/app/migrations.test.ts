import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrationSql } from '../support/database'

describe('prisma/migrations', () => {
  it('build exactly the schema in prisma/schema.prisma (author new ones with `prisma migrate diff`)', () => {
    const fromSchema = execFileSync(
      process.execPath,
      [path.resolve('node_modules/prisma/build/index.js'), 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' }, stdio: ['ignore', 'pipe', 'ignore'] },
    )
    const normalise = (sql: string) => sql.replace(/--.*$/gm, '').replace(/\s+/g, ' ').trim()
    expect(normalise(migrationSql())).toBe(normalise(fromSchema))
  })
})
