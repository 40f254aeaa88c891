// Clients for the fleet drill and tests: playback streams that resume after a lost connection, and a
// steady HTTP load that counts every failure.
import WebSocket from 'ws'

export interface Playback {
  /** Frames received, over every connection. */
  frames: number
  /** Frames coalesced away, summed over connections (each connection counts its own from 0). */
  dropped: number
  /** Every order id received, in order. */
  orders: string[]
  /** Connections opened after the first one. */
  resumes: number
  ended: boolean
  /** Timestamps were strictly increasing across every connection. */
  ordered: boolean
  /** Close codes of the connections that ended abnormally. */
  closeCodes: number[]
  /** When (Date.now()) the last resumed connection delivered its first frame. */
  resumedAt?: number
}

/**
 * Plays a run through the BFF's playback stream like the browser SDK does: when the connection ends
 * before `end` (an instance died, or it shut down with 1012), it reconnects — through the balancer, so
 * to a survivor — with `from=<last frame's ts>` and carries on.
 */
export function playResuming(
  wsBase: string,
  runId: string,
  query: Record<string, string>,
  options: { headers?: Record<string, string>; timeoutMs?: number; onFrame?: (p: Playback) => void } = {},
): { done: Promise<Playback>; stop: () => void } {
  const out: Playback = { frames: 0, dropped: 0, orders: [], resumes: 0, ended: false, ordered: true, closeCodes: [] }
  let lastTs: string | undefined
  let current: WebSocket | undefined
  let stopped = false
  let finish: (p: Playback) => void = () => {}
  const done = new Promise<Playback>((resolve) => (finish = resolve))
  const timer = setTimeout(() => stop(), options.timeoutMs ?? 120_000)
  const stop = () => {
    stopped = true
    clearTimeout(timer)
    current?.terminate()
    finish(out)
  }
  const connect = () => {
    const q = new URLSearchParams({ ...query, autoplay: '1' })
    if (lastTs) q.set('from', lastTs)
    const ws = new WebSocket(`${wsBase}/api/v1/runs/${runId}/stream?${q}`, { headers: options.headers, perMessageDeflate: false })
    current = ws
    let segmentDropped = 0
    const resuming = out.resumes > 0
    let first = true
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { t: string; ts?: string; dropped?: number; orders?: { order_id: string }[] }
      if (m.t === 'frame') {
        if (first && resuming) out.resumedAt = Date.now()
        first = false
        if (lastTs !== undefined && (m.ts as string) <= lastTs) out.ordered = false
        lastTs = m.ts
        out.frames++
        segmentDropped = m.dropped ?? segmentDropped
        for (const o of m.orders ?? []) out.orders.push(o.order_id)
        options.onFrame?.(out)
      } else if (m.t === 'end') {
        out.dropped += (m.dropped as number) ?? segmentDropped
        segmentDropped = 0
        out.ended = true
        ws.close(1000)
        clearTimeout(timer)
        finish(out)
      }
    })
    ws.on('close', (code) => {
      if (out.ended || stopped) return
      out.dropped += segmentDropped
      out.closeCodes.push(code)
      out.resumes++
      setTimeout(connect, 100)
    })
    ws.on('unexpected-response', (_req, res) => {
      res.resume()
      ws.terminate()
    })
    ws.on('error', () => {})
  }
  connect()
  return { done, stop }
}

export interface LoadResult {
  requests: number
  failed: number
  /** The first few failures: status or error, and the path. */
  failures: string[]
}

/**
 * Steady GET load (chart data, complete runs, proxied reads) with `concurrency` requests in flight until
 * `stop()`; every non-2xx/304 answer and every network error counts as a failure.
 */
export function steadyLoad(base: string, runIds: string[], concurrency = 8): { stop: () => Promise<LoadResult> } {
  const result: LoadResult = { requests: 0, failed: 0, failures: [] }
  let running = true
  const paths = [
    '/api/v1/chart-data?symbol=AAPL&timeframe=1D&from_date=2024-01-01&to_date=2024-12-31',
    '/api/v1/chart-data?symbol=AAPL&timeframe=1M_DECIMATED&from_date=2024-11-01&to_date=2024-11-30&target_points=2000',
    ...runIds.map((id) => `/api/v1/runs/${id}/complete?equity_points=500`),
    ...runIds.map((id) => `/api/v1/backtests/${id}`),
    '/api/v1/backtests?limit=5',
  ]
  let n = 0
  const worker = async () => {
    while (running) {
      const p = paths[n++ % paths.length] as string
      try {
        const res = await fetch(`${base}${p}`)
        const body = await res.text()
        result.requests++
        if (!res.ok && res.status !== 304) {
          result.failed++
          if (result.failures.length < 10) result.failures.push(`${res.status} ${p} ${body.replace(/\s+/g, ' ').slice(0, 120)}`)
        }
      } catch (err) {
        result.requests++
        result.failed++
        if (result.failures.length < 10) result.failures.push(`${(err as Error).cause ?? (err as Error).message} ${p}`)
      }
    }
  }
  const workers = Array.from({ length: concurrency }, () => worker())
  return {
    stop: async () => {
      running = false
      await Promise.all(workers)
      return result
    },
  }
}

/** Every order id and the frame count of a run, from the upstream's own SSE stream (what a playback must deliver). */
export async function runContents(backendUrl: string, runId: string): Promise<{ frames: number; orders: string[] }> {
  const text = await (await fetch(`${backendUrl}/backtests/${runId}/stream`)).text()
  return {
    frames: text.split('event: frame\n').length - 1,
    orders: [...text.matchAll(/"order_id": "([^"]+)"/g)].map((m) => m[1] as string),
  }
}
