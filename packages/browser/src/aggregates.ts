import type { ChartRequest, ChartResponse, EnrichedRunList, ListQuery, RunCompleteOptions, RunCompleteResponse } from '@hewston-bff/core'
import { compact } from './compact.js'
import type { CallOptions, HewstonContext, Mode } from './context.js'
import type { DirectMode } from './direct.js'
import { queryString, requestJson } from './http.js'

export type WithMode<T extends { metadata: object }> = T & { metadata: T['metadata'] & { mode: Mode } }

/** `getChartData`'s parameters: core's chart request, with its defaulted fields optional. */
export type ChartDataParams = Omit<ChartRequest, 'target_points' | 'rth_only' | 'format'> &
  Partial<Pick<ChartRequest, 'target_points' | 'rth_only' | 'format'>>

/** `getRunComplete`'s options: core's, every one optional (core's defaults apply). */
export type RunCompleteParams = Partial<RunCompleteOptions>

/** A query object as strings, without the values that send nothing ({@link compact}). */
const toStrings = (o: object): Record<string, string> => Object.fromEntries(Object.entries(compact(o)).map(([k, v]) => [k, String(v)]))

/** Rejects with the signal's reason once it aborts (work shared with other callers carries on). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * One of the BFF's aggregated endpoints, or the same aggregation run here by core (direct mode, loaded on
 * first need). The answer says which (`metadata.mode`).
 */
async function aggregate<T extends { metadata: object }>(
  ctx: HewstonContext,
  group: 'chartData' | 'runData',
  bffPath: string,
  direct: (d: DirectMode) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<WithMode<T>> {
  const withMode = (r: T, mode: Mode) => ({ ...r, metadata: { ...r.metadata, mode } }) as WithMode<T>
  return ctx.route(
    group,
    async () => withMode(await requestJson<T>(ctx.fetch, `${ctx.bffUrl}/api/v1/${bffPath}`, { signal, timeoutMs: 60_000 }), 'bff'),
    // Direct aggregations are shared (single-flight, caches): an abort stops this caller's wait, not the work.
    async () => withMode(await abortable(ctx.direct().then(direct), signal), 'direct'),
    signal,
  )
}

/** Chart bars for a symbol and range, bucketed to at most `target_points` (`/api/v1/chart-data`). */
export function getChartData(ctx: HewstonContext, params: ChartDataParams, options: CallOptions = {}): Promise<WithMode<ChartResponse>> {
  const q = toStrings(params)
  return aggregate(ctx, 'chartData', `chart-data${queryString(q)}`, (d) => d.chartData(q), options.signal)
}

/** A run with its metrics, equity, orders, fills and chart in one answer (`/api/v1/runs/{id}/complete`). */
export function getRunComplete(
  ctx: HewstonContext,
  runId: string,
  params: RunCompleteParams = {},
  options: CallOptions = {},
): Promise<WithMode<RunCompleteResponse>> {
  const q = toStrings(params)
  const path = `runs/${encodeURIComponent(runId)}/complete${queryString(q)}`
  return aggregate(ctx, 'runData', path, (d) => d.runComplete(runId, q), options.signal)
}

/** The run list with each run's catalog metrics (`/api/v1/runs`). */
export function listRuns(ctx: HewstonContext, query: ListQuery = {}, options: CallOptions = {}): Promise<WithMode<EnrichedRunList>> {
  return aggregate(ctx, 'runData', `runs${queryString(toStrings(query))}`, (d) => d.runList(compact(query), options.signal), options.signal)
}
