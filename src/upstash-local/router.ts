import type { ServerResponse } from 'node:http'
import { EndpointError } from './errors'
import type { Executor, RequestScope } from './executor'
import { LIST_ROUTES, type Admitted } from './gate'
import type { Command } from './redis-connections'
import { parseJson, toCommand, toCommands } from './request'

/** A JSON answer, already serialised; undefined from `route` when the response became a stream. */
export interface Answer {
  status: number
  json: string
}

const isError = (entryJson: string) => entryJson.startsWith('{"error"')

/** One command's entry as a whole answer: a Redis error is a 400, as Upstash answers it. */
const single = (entry: string): Answer => ({ status: isError(entry) ? 400 : 200, json: entry })

/**
 * Upstash's routes: `POST /` (a JSON command), `/pipeline` and `/multi-exec` (a JSON list of them),
 * `/subscribe/<channel>` and `/psubscribe/<pattern>` (event streams), and the path style
 * `/<command>/<arg>/…` (GET or POST, a POST body being the last argument).
 */
export class Router {
  constructor(
    private readonly executor: Executor,
    private readonly maxCommands: number,
  ) {}

  route(request: Admitted, res: ServerResponse, held: { bytes: number }): Promise<Answer | undefined> {
    const scope: RequestScope = { res, base64: request.base64, held }
    if (request.path === '/' || LIST_ROUTES.has(request.path)) return this.jsonBody(request, scope)
    return this.pathStyle(request, scope)
  }

  private async jsonBody({ method, path, body }: Admitted, scope: RequestScope): Promise<Answer> {
    if (method !== 'POST') {
      throw new EndpointError(405, `${method} ${path} is not allowed: POST a JSON array body`, ['allow', 'POST'])
    }
    const parsed = parseJson(body, path)
    if (path === '/') {
      const [entry] = await this.executor.runPipeline(scope, [toCommand(parsed, 'body')])
      return single(entry!)
    }
    const commands = toCommands(parsed, path, this.maxCommands)
    if (path === '/multi-exec') return { status: 200, json: await this.executor.runTransaction(scope, commands) }
    return { status: 200, json: `[${(await this.executor.runPipeline(scope, commands)).join(',')}]` }
  }

  private async pathStyle({ method, path, body }: Admitted, scope: RequestScope): Promise<Answer | undefined> {
    let args: string[]
    try {
      args = path.slice(1).split('/').map(decodeURIComponent)
    } catch {
      throw new EndpointError(400, `path ${path} is not valid URL encoding`)
    }
    const name = args[0]!.toLowerCase()
    if (name === 'subscribe' || name === 'psubscribe') {
      await this.executor.subscribe(scope.res, name === 'psubscribe', args.slice(1))
      return undefined
    }
    if (!(await this.executor.isCommand(name))) {
      throw new EndpointError(
        404,
        `unknown route ${path}: expected POST /, /pipeline, /multi-exec, /subscribe/<channel> or /<redis-command>/<arg>/…`,
      )
    }
    const command: Command = args
    // Upstash's `curl -d value /set/key`: a POST body is the last argument, byte for byte.
    if (method === 'POST' && body.length > 0) command.push(body)
    const [entry] = await this.executor.runPipeline(scope, [command])
    return single(entry!)
  }
}
