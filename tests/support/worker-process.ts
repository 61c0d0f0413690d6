import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** One JSON line of scripts/worker.ts's output. */
export interface WorkerEvent {
  event: string
  id?: string
  attempt?: number
  error?: string
  leaseExpiresAt?: number
}

/**
 * scripts/worker.ts as its own node process (no tsx wrapper process, so signals reach the worker
 * itself), its JSON lines parsed into events.
 */
export function startWorker(env: Record<string, string>, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const events: WorkerEvent[] = []
  const listeners: ((e: WorkerEvent) => void)[] = []
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: WorkerEvent
    try {
      e = JSON.parse(line) as WorkerEvent
    } catch {
      return
    }
    events.push(e)
    for (const l of [...listeners]) l(e)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return {
    child,
    events,
    /** How the process ended. */
    exited,
    stderr: () => stderr,
    /** The first event (past or future) matching `test`; fails after `timeoutMs`. */
    next(test: (e: WorkerEvent) => boolean, timeoutMs = 20_000): Promise<WorkerEvent> {
      const past = events.find(test)
      if (past) return Promise.resolve(past)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `worker event not seen in ${timeoutMs} ms; last events ${JSON.stringify(events.slice(-10))}; stderr ${stderr}`,
              ),
            ),
          timeoutMs,
        )
        const l = (e: WorkerEvent) => {
          if (!test(e)) return
          clearTimeout(timer)
          listeners.splice(listeners.indexOf(l), 1)
          resolve(e)
        }
        listeners.push(l)
      })
    },
    /** Only events after this call. */
    nextNew(test: (e: WorkerEvent) => boolean, timeoutMs = 20_000): Promise<WorkerEvent> {
      const seen = events.length
      return this.next((e) => events.indexOf(e) >= seen && test(e), timeoutMs)
    },
    /** Sends `signal` (default SIGKILL) unless it has exited; resolves once it has. */
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}
export type Worker = ReturnType<typeof startWorker>
