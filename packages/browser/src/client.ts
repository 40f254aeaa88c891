import type {
  BarsResponse,
  ChartResponse,
  CreateBacktestRequest,
  CreateBacktestResponse,
  DailyBarsResponse,
  DecimatedBarsResponse,
  EnrichedRunList,
  ListQuery,
  RunCompleteResponse,
  RunDetail,
  RunList,
} from '@hewston-bff/core'
import type { ChartDataParams, RunCompleteParams, WithMode } from './aggregates.js'
import * as aggregates from './aggregates.js'
import { type CallOptions, type HewstonClientOptions, HewstonContext } from './context.js'
import * as dropIns from './drop-ins.js'
import type { RunStream, RunStreamOptions } from './run-stream.js'
import * as streams from './streams.js'

/**
 * One client for the Hewston frontend whose every call behaves the same through the BFF or straight to
 * the backend: the {@link HewstonContext} with every call of the SDK as a method. Apps that want only a
 * few calls import the functions instead (`listBacktests(ctx, …)`, or `@hewston-bff/browser/compat`) and
 * their bundle holds only those; either way direct mode's code is loaded only when a group falls back.
 *
 * @example
 * ```ts
 * const client = createHewstonClient({ bffUrl: location.origin, backendUrl: 'http://127.0.0.1:8000' })
 * const chart = await client.getChartData({ symbol: 'AAPL', timeframe: '1H', from_date: '2024-10-01', to_date: '2024-12-31' })
 * const stream = client.openRunStream(runId, { fps: 30, speed: 60 })
 * stream.on('frame', draw).play()
 * client.flags.set({ stream: false }) // the open stream moves to direct mode and resumes where it was
 * ```
 */
export class HewstonClient extends HewstonContext {
  // —— drop-in equivalents of the frontend's current calls (group `proxy`) ——
  listBacktests(query: ListQuery = {}, options: CallOptions = {}): Promise<RunList> {
    return dropIns.listBacktests(this, query, options)
  }
  getRunDetail(runId: string, options: CallOptions = {}): Promise<RunDetail> {
    return dropIns.getRunDetail(this, runId, options)
  }
  createBacktest(request: CreateBacktestRequest, idempotencyKey?: string, options: CallOptions = {}): Promise<CreateBacktestResponse> {
    return dropIns.createBacktest(this, request, idempotencyKey, options)
  }
  fetchDaily(symbol: string, from?: string, to?: string, options: CallOptions = {}): Promise<DailyBarsResponse> {
    return dropIns.fetchDaily(this, symbol, from, to, options)
  }
  fetchMinute(symbol: string, from: string, to: string, rth_only = true, options: CallOptions = {}): Promise<BarsResponse> {
    return dropIns.fetchMinute(this, symbol, from, to, rth_only, options)
  }
  fetchHour(symbol: string, from: string, to: string, rth_only = true, options: CallOptions = {}): Promise<BarsResponse> {
    return dropIns.fetchHour(this, symbol, from, to, rth_only, options)
  }
  fetchMinuteDecimated(
    symbol: string,
    from: string,
    to: string,
    target?: number,
    rth_only = true,
    options: CallOptions = {},
  ): Promise<DecimatedBarsResponse> {
    return dropIns.fetchMinuteDecimated(this, symbol, from, to, target, rth_only, options)
  }

  // —— aggregated calls ——
  getChartData(params: ChartDataParams, options: CallOptions = {}): Promise<WithMode<ChartResponse>> {
    return aggregates.getChartData(this, params, options)
  }
  getRunComplete(runId: string, params: RunCompleteParams = {}, options: CallOptions = {}): Promise<WithMode<RunCompleteResponse>> {
    return aggregates.getRunComplete(this, runId, params, options)
  }
  listRuns(query: ListQuery = {}, options: CallOptions = {}): Promise<WithMode<EnrichedRunList>> {
    return aggregates.listRuns(this, query, options)
  }

  /**
   * A playback stream; it follows the `stream` flag and the BFF's health, resuming at its position.
   * `signal` closes it.
   */
  openRunStream(runId: string, options: RunStreamOptions & CallOptions = {}): RunStream {
    return streams.openRunStream(this, runId, options)
  }
}

/** Creates a {@link HewstonClient}. */
export function createHewstonClient(options: HewstonClientOptions): HewstonClient {
  return new HewstonClient(options)
}

/** Creates the state the SDK's functions share, for apps that import functions rather than the client. */
export function createHewstonContext(options: HewstonClientOptions): HewstonContext {
  return new HewstonContext(options)
}
