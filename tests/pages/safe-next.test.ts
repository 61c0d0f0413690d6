import { describe, expect, it } from 'vitest'
import { loginPath, safeNext } from '@/lib/request/paths'

describe('safeNext: where /login may send a visitor back to', () => {
  it('keeps paths of this site, query included', () => {
    expect(safeNext('/dossiers/abc?x=1')).toBe('/dossiers/abc?x=1')
    expect(safeNext('/leaderboard')).toBe('/leaderboard')
  })
  it('refuses anything that could leave the site, or loop', () => {
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      'evil.example',
      'javascript:alert(1)',
      '/\t/evil.example',
      '',
      '/login?next=/x',
      '/api/auth/logout',
      undefined,
      42,
    ]) {
      expect(safeNext(bad), String(bad)).toBe('/dossiers')
    }
  })
  it('refuses paths that only leave the site once their dot segments are resolved (an open redirect otherwise)', () => {
    for (const bad of [
      '/.//evil.example',
      '/%2e//evil.example',
      '/%2e%2e//evil.example',
      '/a/..//evil.example',
      '/a/%2E%2E//evil.example/x?y=1',
      '/././/evil.example',
    ]) {
      expect(safeNext(bad), String(bad)).toBe('/dossiers')
    }
  })
  it('builds /login?next=', () => {
    expect(loginPath('/status')).toBe('/login?next=%2Fstatus')
    expect(loginPath('/dossiers')).toBe('/login')
  })
})
