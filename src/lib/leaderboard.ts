/**
 * Transitional: the old path of src/lib/scores/leaderboard.ts, kept only for the tests that still
 * import it (tests/lib/worker.test.ts, tests/lib/sorted-set.test.ts, tests/chaos/*) until they move
 * with the Redis-layer tests. Delete it then.
 */
export { createLeaderboard, TENANT_LEADERBOARD, type Leaderboard } from '@/lib/scores/leaderboard'
