import { createParser } from 'eventsource-parser'
import ky, { TimeoutError } from 'ky'
import type * as z from 'zod/mini'
import { CreateBacktestResponseSchema, HealthzSchema, RunDetailSchema, RunListSchema } from '../contract/backtests.js'
import { BarsResponseSchema, DailyBarsResponseSchema, DecimatedBarsResponseSchema } from '../contract/bars.js'
import type { PlaybackFrame, RunStreamEvent } from '../contract/stream.js'
import { UpstreamContractError, UpstreamHttpError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors/upstream-errors.js'
import type { CallOptions, Upstream } from './upstream.js'

export interface UpstreamClientOptions {
  /** The Hewston backend, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string
  /** Default per-request timeout (ms). */
  timeoutMs?: number
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch
}

type Query = Record<string, string | number | boolean | undefined>

const searchOf = (q: object): URLSearchParams => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(q as Query)) if (v !== undefined) s.set(k, String(v))
  return s
}

/**
 * The typed HTTP {@link Upstream}: ky underneath, every 2xx body checked against the contract's zod
 * schema, every failure turned into a typed {@link BffError} subclass. No retries here: callers that may
 * retry (idempotent reads) say so themselves.
 *
 * @example
 * ```ts
 * const upstream = createUpstreamClient({ baseUrl: 'http://127.0.0.1:8000' })
 * const { items } = await upstream.listBacktests({ limit: 5 })
 * ```
 */
export function createUpstreamClient(options: UpstreamClientOptions): Upstream {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const http = ky.create({
    prefix: baseUrl,
    retry: 0,
    timeout: options.timeoutMs ?? 10_000,
    // Non-2xx answers are read here, as raw text: ky's HTTPError would hand over a re-parsed body, and a
    // 401/403 must reach the client byte for byte.
    throwHttpErrors: false,
    fetch: options.fetch,
  })

  async function call<S extends z.ZodMiniType>(
    schema: S,
    method: 'get' | 'post',
    path: string,
    call: CallOptions = {},
    extra: { searchParams?: URLSearchParams; body?: string; headers?: Record<string, string> } = {},
  ): Promise<z.infer<S>> {
    let data: unknown
    const timeout = call.timeoutMs ?? options.timeoutMs ?? 10_000
    try {
      const response = await http(path, {
        method,
        searchParams: extra.searchParams,
        body: extra.body,
        headers: { ...call.headers, ...extra.headers },
        signal: call.signal,
        timeout,
      })
      if (!response.ok) {
        const body = await response.text().catch(() => '')
        throw new UpstreamHttpError(response.status, body, response.headers.get('content-type'))
      }
      data = await response.json()
    } catch (err) {
      throw translate(err, timeout)
    }
    const parsed = schema.safeParse(data)
    if (!parsed.success) throw new UpstreamContractError(`unexpected response from ${method.toUpperCase()} /${path}`, parsed.error.issues)
    return parsed.data
  }

  /** Opens the run stream and yields its events as they arrive. */
  async function* runStream(runId: string, call: CallOptions = {}): AsyncGenerator<RunStreamEvent> {
    const timeout = call.timeoutMs ?? options.timeoutMs ?? 10_000
    let response: Response
    try {
      response = await http(`backtests/${encodeURIComponent(runId)}/stream`, { headers: call.headers, signal: call.signal, timeout })
      if (!response.ok || !response.body) {
        const body = await response.text().catch(() => '')
        throw new UpstreamHttpError(response.status, body, response.headers.get('content-type'))
      }
    } catch (err) {
      throw translate(err, timeout)
    }
    const queue: RunStreamEvent[] = []
    const parser = createParser({
      onEvent(ev) {
        if (ev.event === 'frame') queue.push({ type: 'frame', frame: JSON.parse(ev.data) as PlaybackFrame })
        else if (ev.event === 'end') queue.push({ type: 'end' })
        else if (ev.event === 'error') {
          const e = JSON.parse(ev.data) as { code?: string; msg?: string }
          queue.push({ type: 'error', code: e.code ?? 'STREAM_ERROR', msg: e.msg ?? 'stream failed' })
        }
      },
    })
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    let frames = 0
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (err) {
          throw new UpstreamUnavailableError(`upstream stream broke after ${frames} frames: ${(err as Error).message}`, undefined, {
            cause: err,
          })
        }
        if (chunk.done) break
        parser.feed(decoder.decode(chunk.value, { stream: true }))
        while (queue.length) {
          const ev = queue.shift() as RunStreamEvent
          if (ev.type === 'frame') frames++
          yield ev
          if (ev.type !== 'frame') return
        }
      }
      throw new UpstreamUnavailableError(`upstream stream ended without its end event after ${frames} frames`)
    } finally {
      // Done, failed or abandoned by the consumer: the response is not read any further.
      await reader.cancel().catch(() => {})
    }
  }

  return {
    baseUrl,
    runStream,
    healthz: (o) => call(HealthzSchema, 'get', 'healthz', o),
    listBacktests: (q = {}, o) => call(RunListSchema, 'get', 'backtests', o, { searchParams: searchOf(q) }),
    getRun: (id, o) => call(RunDetailSchema, 'get', `backtests/${encodeURIComponent(id)}`, o),
    createBacktest: (body, key, o) =>
      call(CreateBacktestResponseSchema, 'post', 'backtests', o, {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      }),
    dailyBars: (q, o) => call(DailyBarsResponseSchema, 'get', 'bars/daily', o, { searchParams: searchOf(q) }),
    minuteBars: (q, o) => call(BarsResponseSchema, 'get', 'bars/minute', o, { searchParams: searchOf(q) }),
    hourBars: (q, o) => call(BarsResponseSchema, 'get', 'bars/hour', o, { searchParams: searchOf(q) }),
    minuteDecimatedBars: (q, o) => call(DecimatedBarsResponseSchema, 'get', 'bars/minute_decimated', o, { searchParams: searchOf(q) }),
  }
}

function translate(err: unknown, timeoutMs: number): Error {
  if (err instanceof UpstreamHttpError) return err
  if (err instanceof TimeoutError) return new UpstreamTimeoutError(timeoutMs, { cause: err })
  if (err instanceof Error && err.name === 'AbortError') return err
  return new UpstreamUnavailableError(`upstream unreachable: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err })
}
