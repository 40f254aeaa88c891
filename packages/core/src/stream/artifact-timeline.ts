import type { RunDetail } from '../contract/backtests.js'
import type { StreamOrder } from '../contract/stream.js'
import { isoSeconds as iso, epochMs as ms } from '../contract/time.js'
import type { ArtifactSource } from '../runs/ports.js'
import type { Timeline } from './timeline.js'

/**
 * Builds a run's timeline from its artifacts exactly as the upstream's streamer does: one frame per row of
 * `equity.parquet` in file order, the dataset's minute bar at that time as `ohlc` (null when none), and
 * every order row at that time with all its columns. Frames already in `into` (up to its last time) are
 * kept, so this can finish a timeline the upstream broke off.
 */
export async function fillTimelineFromArtifacts(
  into: Timeline,
  artifacts: ArtifactSource,
  run: RunDetail,
  minuteBarsPath: string | undefined,
): Promise<void> {
  const equityPath = run.artifacts?.equity_path
  const ordersPath = run.artifacts?.orders_path
  if (!equityPath || !ordersPath) throw new Error('the run names no equity/orders artifacts')
  const [equity, orders, bars] = await Promise.all([
    artifacts.readTable(equityPath),
    artifacts.readTable(ordersPath),
    minuteBarsPath ? artifacts.readTable(minuteBarsPath).catch(() => undefined) : Promise.resolve(undefined),
  ])
  const ohlc = new Map<number, { o: number; h: number; l: number; c: number; v: number }>()
  for (const r of bars?.rows ?? []) ohlc.set(ms(r.t), { o: Number(r.o), h: Number(r.h), l: Number(r.l), c: Number(r.c), v: Number(r.v) })
  const byTs = new Map<number, StreamOrder[]>()
  for (const r of orders.rows) {
    const t = ms(r.ts_utc)
    const o: Record<string, unknown> = {}
    for (const c of orders.columns) o[c] = c === 'ts_utc' ? iso(t) : r[c]
    const list = byTs.get(t)
    if (list) list.push(o as StreamOrder)
    else byTs.set(t, [o as StreamOrder])
  }
  for (const r of equity.rows) {
    const t = ms(r.ts_utc)
    into.push({ ts: iso(t), ohlc: ohlc.get(t) ?? null, orders: byTs.get(t) ?? [], equity: { value: Number(r.value) } })
  }
}
