import type { StreamOrder } from '../contract/stream.js'
import { UpstreamStreamError } from '../errors/upstream-stream-error.js'
import type { CallOptions, Upstream } from '../upstream/upstream.js'
import type { EquityPoint } from './metrics.js'

/** What the upstream's run stream yields for the complete-run view: the equity curve and every order. */
export interface StreamedRun {
  equity: EquityPoint[]
  orders: StreamOrder[]
  frames: number
}

/**
 * Reads a run's stream to its `end` and keeps only equity points and orders. Used where no artifact files
 * are at hand (the browser, a BFF without `--root`).
 */
export async function readRunStream(upstream: Upstream, runId: string, options: CallOptions = {}): Promise<StreamedRun> {
  const out: StreamedRun = { equity: [], orders: [], frames: 0 }
  for await (const ev of upstream.runStream(runId, options)) {
    if (ev.type === 'error') throw new UpstreamStreamError(ev.code, ev.msg)
    if (ev.type === 'end') break
    out.frames++
    out.equity.push({ ts: ev.frame.equity.ts, value: ev.frame.equity.value })
    for (const o of ev.frame.orders) out.orders.push(o)
  }
  return out
}
