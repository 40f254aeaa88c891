import type { ListQuery } from '@hewston-bff/core'
import type { ChartDataParams, RunCompleteParams } from './aggregates.js'
import type { HewstonClient } from './client.js'
import { compact } from './compact.js'
import type { CallOptions } from './context.js'

/** What TanStack Query's `useQuery`/`fetchQuery` take: a stable key and a function that honours `signal`. */
export interface HewstonQuery<T> {
  queryKey: readonly unknown[]
  queryFn: (context: { signal?: AbortSignal }) => Promise<T>
}

/** A parameters object as a key part: the values that send nothing dropped ({@link compact}), keys sorted. */
function keyPart(params: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(compact(params)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

const query = <T>(queryKey: readonly unknown[], run: (options: CallOptions) => Promise<T>): HewstonQuery<T> => ({
  queryKey,
  queryFn: ({ signal }) => run({ signal }),
})

/**
 * Query options for TanStack Query (or any cache keyed the same way), with no dependency on it: every
 * method returns `{ queryKey, queryFn }`. Keys start with `'hewston'`, name the call and carry its
 * parameters normalised (`{limit: 5, symbol: ''}` and `{limit: 5}` are one key), so equal requests share a
 * cache entry; `queryFn` passes TanStack's `signal` on, so an abandoned query aborts its request.
 *
 * @example
 * ```ts
 * const q = hewstonQueries(client)
 * const runs = useQuery(q.runs({ limit: 20 }))
 * const chart = useQuery({ ...q.chartData({ symbol: 'AAPL', timeframe: '1H', from_date, to_date }), staleTime: 60_000 })
 * ```
 */
export function hewstonQueries(client: HewstonClient) {
  return {
    backtests: (q: ListQuery = {}) => query(['hewston', 'backtests', keyPart(q)], (o) => client.listBacktests(q, o)),
    runDetail: (runId: string) => query(['hewston', 'run', runId], (o) => client.getRunDetail(runId, o)),
    runs: (q: ListQuery = {}) => query(['hewston', 'runs', keyPart(q)], (o) => client.listRuns(q, o)),
    runComplete: (runId: string, params: RunCompleteParams = {}) =>
      query(['hewston', 'run', runId, 'complete', keyPart(params)], (o) => client.getRunComplete(runId, params, o)),
    chartData: (params: ChartDataParams) => query(['hewston', 'chart-data', keyPart(params)], (o) => client.getChartData(params, o)),
    daily: (symbol: string, from?: string, to?: string) =>
      query(['hewston', 'bars', 'daily', keyPart({ symbol, from, to })], (o) => client.fetchDaily(symbol, from, to, o)),
    minute: (symbol: string, from: string, to: string, rth_only = true) =>
      query(['hewston', 'bars', 'minute', keyPart({ symbol, from, to, rth_only })], (o) =>
        client.fetchMinute(symbol, from, to, rth_only, o),
      ),
    hour: (symbol: string, from: string, to: string, rth_only = true) =>
      query(['hewston', 'bars', 'hour', keyPart({ symbol, from, to, rth_only })], (o) => client.fetchHour(symbol, from, to, rth_only, o)),
    minuteDecimated: (symbol: string, from: string, to: string, target = 10_000, rth_only = true) =>
      query(['hewston', 'bars', 'minute_decimated', keyPart({ symbol, from, to, target, rth_only })], (o) =>
        client.fetchMinuteDecimated(symbol, from, to, target, rth_only, o),
      ),
  }
}
