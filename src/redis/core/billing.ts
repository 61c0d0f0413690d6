/**
 * Upstash bills a Lua script 1 (its EVAL/EVALSHA) + every command it runs. The REST request shows only
 * the first; the project's scripts count the rest themselves (queue/scripts/runner.ts) and report it here.
 * Whoever meters usage (the app's usage counter) listens, so the Redis layer never imports the app.
 *
 * Kept on globalThis: Next may load this module more than once (instrumentation and the app's bundles),
 * and the listener installed by one copy must hear the scripts run by another.
 */
export type ScriptCommandsListener = (commands: number) => void

const LISTENER = Symbol.for('iapm.redis.scriptCommandsListener')
type GlobalWithListener = typeof globalThis & { [LISTENER]?: ScriptCommandsListener }

/** Sets (or, with undefined, removes) the one listener told how many commands each script ran inside Redis. */
export function onScriptCommands(listener: ScriptCommandsListener | undefined): void {
  const g = globalThis as GlobalWithListener
  if (listener) g[LISTENER] = listener
  else delete g[LISTENER]
}

/** Called by the code that runs scripts, once per script that answered, with the commands it ran inside. */
export function reportScriptCommands(commands: number): void {
  if (commands > 0) (globalThis as GlobalWithListener)[LISTENER]?.(commands)
}
