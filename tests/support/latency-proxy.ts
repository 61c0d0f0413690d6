import net from 'node:net'

/** A TCP proxy in front of redis-server that can delay every byte: a slow network or a slow Redis, for real. */
export interface LatencyProxy {
  port: number
  /** Delay added to each chunk, each way, from now on (0 = none). A round trip gets twice this. */
  setDelay(ms: number): void
  close(): Promise<void>
}

/**
 * Forwards 127.0.0.1:<port> to 127.0.0.1:<targetPort>. Chunks keep their order in each direction:
 * each one leaves at max(its arrival + delay, the previous one's departure). When either side closes
 * or fails (redis-server killed), the other is closed too, as a real connection would be.
 */
export async function startLatencyProxy(targetPort: number): Promise<LatencyProxy> {
  let delay = 0
  const sockets = new Set<net.Socket>()
  const pipe = (from: net.Socket, to: net.Socket) => {
    // One FIFO and one timer per direction: separate timers per chunk could fire out of order (a byte
    // stream reordered is a corrupted protocol, not a slow network).
    const queue: { at: number; chunk: Buffer | null }[] = [] // null: the other side closed
    let timer: ReturnType<typeof setTimeout> | undefined
    const drain = () => {
      timer = undefined
      const now = performance.now()
      while (queue.length > 0 && queue[0]!.at <= now) {
        const { chunk } = queue.shift()!
        if (chunk === null) to.destroy()
        else if (!to.destroyed) to.write(chunk)
      }
      if (queue.length > 0) timer = setTimeout(drain, Math.max(1, queue[0]!.at - now))
    }
    const enqueue = (chunk: Buffer | null) => {
      const last = queue.length > 0 ? queue[queue.length - 1]!.at : 0
      queue.push({ at: Math.max(performance.now() + delay, last), chunk })
      if (timer === undefined) drain()
    }
    let closed = false
    const close = () => {
      if (closed) return
      closed = true
      enqueue(null) // after the chunks still on their way
    }
    from.on('data', (chunk: Buffer) => enqueue(chunk))
    from.on('end', close)
    from.on('close', close)
    from.on('error', () => from.destroy())
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.setNoDelay(true)
      s.on('close', () => sockets.delete(s))
    }
    pipe(client, upstream)
    pipe(upstream, client)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    setDelay(ms) {
      delay = ms
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
