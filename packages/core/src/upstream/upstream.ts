import type { CreateBacktestRequest, CreateBacktestResponse, RunDetail, RunList } from '../contract/backtests.js'
import type { BarsResponse, DailyBarsResponse, DecimatedBarsResponse } from '../contract/bars.js'
import type { RunStreamEvent } from '../contract/stream.js'

/** Per-call options: the caller's credentials and tracing headers travel with every upstream request. */
export interface CallOptions {
  headers?: Record<string, string>
  signal?: AbortSignal
  timeoutMs?: number
}

export interface BarsQuery {
  symbol: string
  from?: string
  to?: string
  rth_only?: boolean
}

export interface ListQuery {
  limit?: number
  offset?: number
  symbol?: string
  strategy_id?: string
  from?: string
  to?: string
  order?: string
}

/**
 * The port through which core reaches the Hewston backend. {@link createUpstreamClient} is the HTTP
 * implementation; tests and the browser's direct mode pass their own fetch.
 */
export interface Upstream {
  readonly baseUrl: string
  healthz(options?: CallOptions): Promise<{ status: string }>
  listBacktests(query?: ListQuery, options?: CallOptions): Promise<RunList>
  getRun(runId: string, options?: CallOptions): Promise<RunDetail>
  createBacktest(body: CreateBacktestRequest, idempotencyKey?: string, options?: CallOptions): Promise<CreateBacktestResponse>
  dailyBars(query: BarsQuery, options?: CallOptions): Promise<DailyBarsResponse>
  minuteBars(query: BarsQuery & { from: string; to: string }, options?: CallOptions): Promise<BarsResponse>
  hourBars(query: BarsQuery & { from: string; to: string }, options?: CallOptions): Promise<BarsResponse>
  minuteDecimatedBars(
    query: BarsQuery & { from: string; to: string; target?: number },
    options?: CallOptions,
  ): Promise<DecimatedBarsResponse>
  /**
   * The run's SSE stream (`GET /backtests/{id}/stream`), event by event, until `end` or an in-band
   * `error`. Opening it fails like any call (typed errors; through the breaker when wrapped); a
   * connection that breaks mid-stream throws {@link UpstreamUnavailableError} from the iteration. The
   * upstream cannot resume: every read starts at the first frame. `timeoutMs` bounds the wait for the
   * response head only.
   */
  runStream(runId: string, options?: CallOptions): AsyncIterable<RunStreamEvent>
}
