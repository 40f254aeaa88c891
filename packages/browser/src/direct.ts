import {
  type ChartResponse,
  ChartService,
  type Clock,
  createUpstreamClient,
  type EnrichedRunList,
  enrichRunList,
  type FrameField,
  type ListQuery,
  MemoryCache,
  type PlaybackMessage,
  PlaybackSession,
  parseChartQuery,
  parseRunCompleteQuery,
  type RunCompleteResponse,
  RunService,
  TimelineLoader,
  type Upstream,
} from '@hewston-bff/core'

/**
 * Direct mode: the BFF's aggregations run in the page against the backend, with core's own services —
 * the same code the BFF runs, so both modes give the same answer. Loaded with a dynamic `import()` by
 * {@link HewstonContext.direct} the first time a group falls back; its chunk holds core's chart, run and
 * stream services, ky and the contract's schemas.
 */
export interface DirectMode {
  /** The backend, as core's typed client (the run stream's SSE reader among others). */
  upstream: Upstream
  chartData(query: Record<string, string>): Promise<ChartResponse>
  runComplete(runId: string, query: Record<string, string>): Promise<RunCompleteResponse>
  runList(query: ListQuery, signal?: AbortSignal): Promise<EnrichedRunList>
  /** A playback session over the backend's SSE run stream, paced here as the BFF paces it. */
  playback(runId: string, options: PlaybackOptions): { send(ctrl: string): void; close(): void }
}

export interface PlaybackOptions {
  fps: number
  speed: number
  fromMs: number | undefined
  autoplay: boolean
  fields: ReadonlySet<FrameField>
  send(message: PlaybackMessage): void
}

export function createDirectMode(options: { backendUrl: string; fetch: typeof fetch; clock: Clock }): DirectMode {
  const upstream = createUpstreamClient({ baseUrl: options.backendUrl, fetch: options.fetch })
  const cache = new MemoryCache({ maxBytes: 32 * 1024 * 1024 })
  const charts = new ChartService({ upstream, cache })
  const runs = new RunService({ upstream, charts, cache })
  return {
    upstream,
    chartData: async (q) => (await charts.getChart(parseChartQuery(q), { scope: 'public' })).response,
    runComplete: (runId, q) => runs.getComplete(runId, parseRunCompleteQuery(runId, q).options, { scope: 'public' }),
    runList: async (query, signal) => enrichRunList(await upstream.listBacktests(query, { signal }), undefined),
    playback: (runId, playbackOptions) => {
      const loader = new TimelineLoader({ upstream, runId, clock: options.clock })
      const session = new PlaybackSession(loader, playbackOptions)
      loader.start()
      return {
        send: (ctrl) => session.handle(ctrl),
        close: () => {
          session.close()
          loader.stop()
        },
      }
    },
  }
}
