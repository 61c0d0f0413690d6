import { createClient } from 'redis'

/** A direct TCP client to a test's redis-server, for checks the REST client cannot make (PTTL, commandstats). */
export async function directClient(redisUrl: string) {
  const client = createClient({ url: redisUrl })
  client.on('error', () => {})
  await client.connect()
  return client
}

/**
 * Billed Upstash commands while `run` ran: every command Redis executed, from INFO commandstats,
 * which also counts the commands a Lua script runs inside, exactly as Upstash bills (a script =
 * 1 + each command it runs; each command of a pipeline or transaction counts). The one way the
 * project counts cost. Use on a private stack (startStack) so other test files' traffic is not counted.
 */
export async function billedCommands(
  redisUrl: string,
  run: () => Promise<unknown>,
): Promise<{ total: number; byCommand: Record<string, number> }> {
  const client = await directClient(redisUrl)
  try {
    await client.sendCommand(['CONFIG', 'RESETSTAT'])
    await run()
    const info = (await client.sendCommand(['INFO', 'commandstats'])) as string
    const byCommand: Record<string, number> = {}
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const name = m[1]!
      if (name === 'config|resetstat' || name === 'info') continue
      byCommand[name] = Number(m[2])
    }
    return { total: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand }
  } finally {
    await client.close()
  }
}
