// Shared with bench/, so it lives in testing/; this path serves the tests that import ../support/stack.
export * from '../../testing/stack'
