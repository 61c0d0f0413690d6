/**
 * The app's server (`npm start`): Next through its custom-server API, behind one step that sets the
 * client address. `next start` keeps a client-sent X-Forwarded-For, whose first hop the proxy
 * (src/proxy.ts) uses as the rate-limit key; here every request reaches Next with X-Forwarded-For
 * replaced by the address resolved from the socket and TRUSTED_PROXY_HOPS (src/lib/core/client-address.ts).
 * Not used on Vercel, whose edge overwrites the header itself.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadEnvConfig } from '@next/env'
import { appConfig } from '@/lib/core/config'
import { guardUpgradeRequests, withClientAddress } from '@/lib/core/client-address'

const USAGE = `Usage: tsx scripts/serve.ts [--dev] [--port N] [--hostname H]

Serves the app with Next's custom server, X-Forwarded-For set to the client address it trusts
(the socket address, or the entry TRUSTED_PROXY_HOPS places from the right behind proxies).

  --dev            development mode (next dev's compiler and reloads); default: the production
                   build in .next (run \`npm run build\` first)
  -p, --port N     port to listen on (default: $PORT, else 3000)
  -H, --hostname H address to bind (default: 0.0.0.0). The HOSTNAME variable is ignored on purpose:
                   many shells export it as the machine's name.
  -h, --help       this text

Settings come from the environment and .env files, as with next start (see src/lib/core/config.ts).`

/** How long in-flight requests get to finish after SIGTERM/SIGINT before their connections are cut. */
const GRACE_MS = 10_000

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`)
  process.exit(2)
}

function parseCli(argv: string[]): { dev: boolean; port: number; hostname: string } {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        dev: { type: 'boolean', default: false },
        port: { type: 'string', short: 'p' },
        hostname: { type: 'string', short: 'H' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    usageError((err as Error).message)
  }
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const rawPort = values.port ?? process.env.PORT ?? '3000'
  const port = Number(rawPort)
  if (rawPort.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    usageError(
      `Invalid port "${rawPort}"${values.port === undefined ? ' (from PORT)' : ''}: expected a whole number from 0 to 65535.`,
    )
  }
  const hostname = values.hostname?.trim() || '0.0.0.0'
  return { dev: values.dev, port, hostname }
}

async function main(): Promise<void> {
  const { dev, port, hostname } = parseCli(process.argv.slice(2))
  const dir = process.cwd()

  // Set before Next is loaded: Next, React and the .env loader read it. Forced, where `next start`
  // only defaults it: a build served under another NODE_ENV runs half in development mode.
  const mode = dev ? 'development' : 'production'
  if (process.env.NODE_ENV && process.env.NODE_ENV !== mode) {
    console.warn(
      `NODE_ENV="${process.env.NODE_ENV}" replaced by "${mode}"${dev ? '' : ' (pass --dev for development)'}`,
    )
  }
  ;(process.env as Record<string, string>).NODE_ENV = mode

  // A production build is what `next start` serves; its marker file is <distDir>/BUILD_ID (next.config.ts: NEXT_DIST_DIR, else .next).
  const distDir = process.env.NEXT_DIST_DIR || '.next'
  if (!dev && !existsSync(path.join(dir, distDir, 'BUILD_ID'))) {
    console.error(`No production build in ${distDir}: run \`npm run build\` first (or pass --dev).`)
    process.exit(1)
  }

  // The same loader and files as Next (.env.production.local, .env.local, .env.production, .env, or
  // the development ones). Next calls it again while preparing; @next/env keeps the first result, so
  // the files are read once, and they are read here already so the settings can be checked first.
  loadEnvConfig(dir, dev)
  // This process's stamp: every request handed to Next carries it, which tells the proxy (same
  // process, same env) that X-Forwarded-For was rewritten here. Fresh per start, never configured.
  const stamp = randomBytes(24).toString('base64url')
  process.env.IAPM_SERVER_STAMP = stamp
  // A production server that cannot work refuses to start, naming each variable (no Redis, no DATABASE_URL…).
  if ((await import('@/lib/startup-check')).refusalToStart('server')) process.exit(1)
  const trustedProxyHops = appConfig().trustedProxyHops

  // Listen first, as `next start` does (a taken port fails fast); requests that arrive while Next
  // prepares wait for it.
  type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>
  let setHandler!: (handler: Handler) => void
  const nextHandler = new Promise<Handler>((resolve) => (setHandler = resolve))
  let stopping = false
  const inFlight = new Set<ServerResponse>()
  let drained = () => {}
  const server = createServer(
    withClientAddress(
      async (req, res) => {
        // Once stopping, responses say `Connection: close` and each finished one frees its connection.
        if (stopping) res.setHeader('connection', 'close')
        inFlight.add(res)
        res.once('close', () => {
          inFlight.delete(res)
          if (!stopping) return
          server.closeIdleConnections()
          if (inFlight.size === 0) drained()
        })
        try {
          await (
            await nextHandler
          )(req, res)
        } catch (err) {
          console.error(`Failed to handle ${req.method} ${req.url}:`, err)
          if (!res.headersSent) res.statusCode = 500
          res.end()
        }
      },
      trustedProxyHops,
      stamp,
    ),
  )
  guardUpgradeRequests(server, trustedProxyHops, stamp)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch((err: NodeJS.ErrnoException) => {
    console.error(`Cannot listen on ${hostname}:${port}: ${err.message}`)
    process.exit(1)
  })
  const actualPort = (server.address() as AddressInfo).port

  /** Next's app once created (the shutdown below may run before it is). */
  const started: { app?: { close(): Promise<void> } } = {}
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`)
      process.exit(1)
    }
    stopping = true
    console.log(`${signal}: no new connections, letting requests in flight finish (up to ${GRACE_MS / 1000} s)`)
    server.close() // stops accepting and closes idle keep-alive connections
    for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
    // Waits for HTTP responses only: an upgraded connection (dev's HMR WebSocket) never "finishes".
    const allDone = new Promise<boolean>((resolve) => {
      drained = () => resolve(true)
      if (inFlight.size === 0) resolve(true)
    })
    const graceOver = new Promise<boolean>((resolve) => setTimeout(resolve, GRACE_MS, false))
    if (!(await Promise.race([allDone, graceOver]))) {
      console.warn(`${inFlight.size} request(s) still running after ${GRACE_MS / 1000} s: closing their connections`)
      server.closeAllConnections()
    }
    // Next's own resources (dev: bundler and file watchers), bounded too.
    await Promise.race([started.app?.close(), new Promise((resolve) => setTimeout(resolve, 5_000))])
    process.exit(0)
  }
  process.on('SIGTERM', (s) => void shutdown(s))
  process.on('SIGINT', (s) => void shutdown(s))

  const { default: next } = await import('next')
  const nextApp = next({
    dev,
    dir,
    // The host and port Next builds request URLs from (request.nextUrl).
    hostname: hostname === '0.0.0.0' || hostname === '::' ? 'localhost' : hostname,
    port: actualPort,
    // Next attaches its WebSocket ('upgrade') listener here, behind guardUpgradeRequests.
    httpServer: server,
  })
  started.app = nextApp
  await nextApp.prepare()
  setHandler(nextApp.getRequestHandler())

  let printedHost = hostname === '0.0.0.0' ? '127.0.0.1' : hostname === '::' ? '::1' : hostname
  if (printedHost.includes(':')) printedHost = `[${printedHost}]`
  console.log(`ready on http://${printedHost}:${actualPort}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
