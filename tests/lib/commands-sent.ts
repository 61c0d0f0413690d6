import { randomBytes } from 'node:crypto'
import { directClient } from '../support/redis-direct'

/**
 * The commands clients sent to Redis while `run` ran, from MONITOR: what Upstash bills. Unlike
 * INFO commandstats, MONITOR tags the commands a Lua script issues as `[… lua]`, so an EVALSHA
 * counts once however much its script does. Use on a private stack (no other traffic).
 */
export async function commandsSent(redisUrl: string, run: () => Promise<unknown>): Promise<{ total: number; commands: string[] }> {
  const monitor = await directClient(redisUrl)
  const other = await directClient(redisUrl)
  const sentinel = `commands-sent-${randomBytes(6).toString('hex')}`
  const commands: string[] = []
  let sawSentinel: () => void = () => {}
  const sentinelSeen = new Promise<void>((resolve) => (sawSentinel = resolve))
  try {
    await monitor.monitor((line: string) => {
      // `1700000000.123456 [0 127.0.0.1:5000] "evalsha" "…"` or `[0 lua] "hset" …`
      const m = /^\S+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(String(line))
      if (!m) return
      if (String(line).includes(sentinel)) return sawSentinel()
      if (m[1] !== 'lua') commands.push(m[2]!.toLowerCase())
    })
    await run()
    // MONITOR output is asynchronous: a marker sent afterwards proves every earlier command was seen.
    await other.sendCommand(['ECHO', sentinel])
    await sentinelSeen
    return { total: commands.length, commands }
  } finally {
    await other.close()
    await monitor.close()
  }
}
