import type { z } from 'zod'
import type { CreateBacktestRequest, CreateBacktestResponse, RunDetail, RunList } from '../contract/backtests.js'
import type { BarsResponse, DailyBarsResponse, DecimatedBarsResponse } from '../contract/bars.js'

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
  minuteDecimatedBars(query: BarsQuery & { from: string; to: string; target?: number }, options?: CallOptions): Promise<DecimatedBarsResponse>
}

export type Parsed<S extends z.ZodType> = z.infer<S>
