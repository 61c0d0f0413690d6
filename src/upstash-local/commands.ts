import type { RedisArg } from './redis-connections'

/** What the endpoint does with a command before it reaches Redis: run, run on its own connection, or refuse. */
export type CommandKind = 'plain' | 'blocking' | 'refused'

/** Commands that wait server-side: they get a connection of their own so they never delay other requests. */
const BLOCKING = new Set([
  'BLPOP',
  'BRPOP',
  'BRPOPLPUSH',
  'BLMOVE',
  'BLMPOP',
  'BZPOPMIN',
  'BZPOPMAX',
  'BZMPOP',
  'WAIT',
  'WAITAOF',
])

/**
 * Commands that change the state of the connection they run on. On a shared pooled connection they
 * would leak into other requests, so they are refused, as Upstash does. Pub/sub has its own route.
 */
const REFUSED = new Map<string, string>(
  Object.entries({
    SUBSCRIBE: 'use the streaming route /subscribe/<channel> (text/event-stream)',
    PSUBSCRIBE: 'use the streaming route /psubscribe/<pattern> (text/event-stream)',
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
    // Administration, refused as Upstash refuses it: one CONFIG SET requirepass would lock every client out.
    CONFIG: 'administration commands are not available over REST',
    REPLICAOF: 'administration commands are not available over REST',
    SLAVEOF: 'administration commands are not available over REST',
    MIGRATE: 'administration commands are not available over REST',
    SAVE: 'administration commands are not available over REST',
    BGSAVE: 'administration commands are not available over REST',
    BGREWRITEAOF: 'administration commands are not available over REST',
    ACL: 'administration commands are not available over REST',
    FAILOVER: 'administration commands are not available over REST',
    CLUSTER: 'administration commands are not available over REST',
    MODULE: 'administration commands are not available over REST',
    LASTSAVE: 'administration commands are not available over REST',
  }),
)

/** CLIENT subcommands that alter the shared connection. */
const REFUSED_CLIENT = new Set(['REPLY', 'SETNAME', 'TRACKING', 'CACHING', 'NO-EVICT', 'NO-TOUCH', 'KILL', 'PAUSE'])

export interface Classified {
  kind: CommandKind
  /** Why a refused command is refused (the 400 message). */
  reason?: string
}

const PLAIN: Classified = { kind: 'plain' }
const BLOCKS: Classified = { kind: 'blocking' }

const upper = (a: RedisArg | undefined) => (typeof a === 'string' ? a.toUpperCase() : '')

function classifyName(name: string): Classified {
  if (BLOCKING.has(name)) return BLOCKS
  const reason = REFUSED.get(name)
  return reason === undefined ? PLAIN : { kind: 'refused', reason: `ERR ${name} is not allowed: ${reason}` }
}

/** Names seen as sent (e.g. "get", "GET"), for the commands whose kind depends on the name alone. Bounded. */
const byName = new Map<string, Classified>()

/** Classifies one command by its name (and, for CLIENT and XREAD, its arguments). Raw-byte arguments never match a keyword. */
export function classify(args: readonly RedisArg[]): Classified {
  const first = args[0]
  // Hot path: a pipeline repeats a few names; skip upper-casing them every time.
  const known = typeof first === 'string' ? byName.get(first) : undefined
  if (known) return known
  const name = upper(first)
  if ((name === 'XREAD' || name === 'XREADGROUP') && args.some((a, i) => i > 0 && upper(a) === 'BLOCK')) return BLOCKS
  if (name === 'CLIENT' && REFUSED_CLIENT.has(upper(args[1]))) {
    return { kind: 'refused', reason: `ERR CLIENT ${upper(args[1])} is not allowed: connections are shared` }
  }
  const c = classifyName(name)
  if (
    typeof first === 'string' &&
    name !== 'XREAD' &&
    name !== 'XREADGROUP' &&
    name !== 'CLIENT' &&
    byName.size < 1024
  ) {
    byName.set(first, c)
  }
  return c
}
