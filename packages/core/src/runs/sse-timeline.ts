import { createParser } from 'eventsource-parser'
import { BffError } from '../errors/bff-error.js'
import { UpstreamHttpError, UpstreamUnavailableError } from '../errors/upstream-errors.js'
import type { EquityPoint } from './metrics.js'

/** What the upstream's SSE stream yields for the complete-run view: the equity curve and every order. */
export interface StreamedRun {
  equity: EquityPoint[]
  orders: Record<string, unknown>[]
  frames: number
}

/** The upstream stream failed in-band (`event: error`, e.g. its HEAD's `STREAM_ERROR`). */
export class StreamError extends BffError {
  constructor(code: string, message: string) {
    super(code, message, null)
    this.name = 'StreamError'
  }
}

/**
 * Reads `GET /backtests/{id}/stream` to its `end` event and keeps only equity points and orders. Used where
 * no artifact files are at hand (the browser, a BFF without `--root`). Works with any fetch that streams.
 */
export async function readRunStream(
  baseUrl: string,
  runId: string,
  options: { fetch?: typeof fetch; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<StreamedRun> {
  const f = options.fetch ?? fetch
  let res: Response
  try {
    res = await f(`${baseUrl.replace(/\/+$/, '')}/backtests/${encodeURIComponent(runId)}/stream`, { headers: options.headers, signal: options.signal })
  } catch (err) {
    throw new UpstreamUnavailableError(`upstream stream unreachable: ${(err as Error).message}`, undefined, { cause: err })
  }
  if (!res.ok || !res.body) throw new UpstreamHttpError(res.status, await res.text().catch(() => ''), res.headers.get('content-type'))
  const out: StreamedRun = { equity: [], orders: [], frames: 0 }
  let ended = false
  let failure: StreamError | undefined
  const parser = createParser({
    onEvent(ev) {
      if (ev.event === 'frame') {
        const frame = JSON.parse(ev.data) as { equity: EquityPoint; orders: Record<string, unknown>[] }
        out.frames++
        out.equity.push({ ts: frame.equity.ts, value: frame.equity.value })
        for (const o of frame.orders) out.orders.push(o)
      } else if (ev.event === 'end') ended = true
      else if (ev.event === 'error') {
        const e = JSON.parse(ev.data) as { code?: string; msg?: string }
        failure = new StreamError(e.code ?? 'STREAM_ERROR', e.msg ?? 'stream failed')
      }
    },
  })
  const decoder = new TextDecoder()
  const reader = res.body.getReader()
  let finished = false
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) {
        finished = true
        break
      }
      parser.feed(decoder.decode(value, { stream: true }))
      if (failure) break
    }
  } catch (err) {
    throw new UpstreamUnavailableError(`upstream stream broke after ${out.frames} frames: ${(err as Error).message}`, undefined, { cause: err })
  } finally {
    if (!finished) await reader.cancel().catch(() => {})
  }
  if (failure) throw failure
  if (!ended) throw new UpstreamUnavailableError(`upstream stream ended without its end event after ${out.frames} frames`)
  return out
}
