/**
 * Work for once the response is sent: Next's after() keeps it alive past the answer (the platform's
 * waitUntil on serverless hosts). Outside a request scope (a script, the worker, a test on the default
 * wiring) there is no response to wait for, and after() throws: the work then simply runs on in this process.
 */
import { after } from 'next/server'

export function afterResponse(task: () => Promise<void>): void {
  try {
    after(task)
  } catch {
    void task()
  }
}
