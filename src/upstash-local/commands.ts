/** What the endpoint does with a command before it reaches Redis: run, run on its own connection, or refuse. */
export type CommandKind = 'plain' | 'blocking' | 'refused'

/** Commands that wait server-side: they get a connection of their own so they never delay other requests. */
const BLOCKING = new Set([
  'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BLMPOP', 'BZPOPMIN', 'BZPOPMAX', 'BZMPOP', 'WAIT', 'WAITAOF',
])

/**
 * Commands that change the state of the connection they run on. On a shared pooled connection they
 * would leak into other requests, so they are refused, as Upstash does. Pub/sub has its own route.
 */
const REFUSED: Record<string, string> = {
  SUBSCRIBE: 'use the streaming route POST /subscribe/<channel>',
  PSUBSCRIBE: 'use the streaming route POST /psubscribe/<pattern>',
  SSUBSCRIBE: 'sharded pub/sub is not supported',
  UNSUBSCRIBE: 'close the /subscribe stream instead',
  PUNSUBSCRIBE: 'close the /psubscribe stream instead',
  SUNSUBSCRIBE: 'sharded pub/sub is not supported',
  MONITOR: 'MONITOR is not supported over REST',
  MULTI: 'use POST /multi-exec for transactions',
  EXEC: 'use POST /multi-exec for transactions',
  DISCARD: 'use POST /multi-exec for transactions',
  WATCH: 'WATCH is not supported over REST (connections are shared)',
  UNWATCH: 'WATCH is not supported over REST (connections are shared)',
  SELECT: 'SELECT is not supported over REST (one database per endpoint)',
  SWAPDB: 'SWAPDB is not supported over REST',
  AUTH: 'authenticate with the REST token instead',
  HELLO: 'the REST API always speaks RESP2',
  QUIT: 'QUIT is not supported over REST',
  RESET: 'RESET is not supported over REST',
  SYNC: 'replication commands are not supported over REST',
  PSYNC: 'replication commands are not supported over REST',
  REPLCONF: 'replication commands are not supported over REST',
  SHUTDOWN: 'SHUTDOWN is not supported over REST',
  DEBUG: 'DEBUG is not supported over REST',
}

/** CLIENT subcommands that alter the shared connection. */
const REFUSED_CLIENT = new Set(['REPLY', 'SETNAME', 'TRACKING', 'CACHING', 'NO-EVICT', 'NO-TOUCH', 'KILL', 'PAUSE'])

export interface Classified {
  kind: CommandKind
  /** Why a refused command is refused (the 400 message). */
  reason?: string
}

const PLAIN: Classified = { kind: 'plain' }
const BLOCKS: Classified = { kind: 'blocking' }

/** Classifies one command by its name (and, for CLIENT and XREAD, its arguments). */
export function classify(args: readonly string[]): Classified {
  const name = (args[0] ?? '').toUpperCase()
  if (BLOCKING.has(name)) return BLOCKS
  if ((name === 'XREAD' || name === 'XREADGROUP') && args.some((a, i) => i > 0 && a.toUpperCase() === 'BLOCK')) {
    return BLOCKS
  }
  const reason = REFUSED[name]
  if (reason !== undefined) return { kind: 'refused', reason: `ERR ${name} is not allowed: ${reason}` }
  if (name === 'CLIENT' && REFUSED_CLIENT.has((args[1] ?? '').toUpperCase())) {
    return { kind: 'refused', reason: `ERR CLIENT ${(args[1] ?? '').toUpperCase()} is not allowed: connections are shared` }
  }
  return PLAIN
}
