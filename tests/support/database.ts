// Shared with bench/, so it lives in testing/; this path serves the tests that import ../support/database.
export * from '../../testing/database'
