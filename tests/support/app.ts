// Shared with bench/, so it lives in testing/; this path serves the tests that import ../support/app.
export * from '../../testing/app'
