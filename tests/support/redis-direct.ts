// Shared with bench/, so it lives in testing/; this path serves the tests that import ../support/redis-direct.
export * from '../../testing/redis-direct'
