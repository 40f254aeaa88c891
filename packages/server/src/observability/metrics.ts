import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

const PREFIX = 'hewston_bff_'
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The BFF's Prometheus metrics, on a registry of its own (no global state: two apps in one process keep
 * separate counts). Every name carries the `hewston_bff_` prefix.
 */
export class BffMetrics {
  readonly registry = new Registry()
  // HTTP
  readonly requestDuration = this.histogram('http_request_duration_seconds', 'HTTP requests served', ['method', 'route', 'status'])
  readonly inFlight = this.gauge('http_requests_in_flight', 'HTTP requests being served', [])
  readonly validationRejections = this.counter('validation_rejections_total', 'Requests refused (4xx) before the upstream', ['route'])
  /** Refused before routing: malformed framing, oversized heads, slow clients, the connection cap. */
  readonly clientErrors = this.counter('client_errors_total', 'Requests refused before routing, by reason', ['reason'])
  // Upstream
  readonly upstreamDuration = this.histogram('upstream_request_duration_seconds', 'Time to the upstream response head', ['route', 'status'])
  /** By kind: unavailable, timeout, reset, breaker_open, status_5xx. */
  readonly upstreamErrors = this.counter('upstream_errors_total', 'Upstream calls that failed, by kind', ['kind'])
  /** A reused keep-alive socket failed before any response; sent once more on a fresh connection. */
  readonly upstreamRetries = this.counter('upstream_retries_total', 'Pass-through requests retried on a fresh connection', [])
  readonly breakerState = this.gauge('circuit_breaker_state', 'Upstream circuit breaker: 0 closed, 1 open, 2 half-open', ['upstream'])
  readonly breakerTransitions = this.counter('circuit_breaker_transitions_total', 'Breaker state changes, by state entered', [
    'upstream',
    'to',
  ])
  // WebSockets
  readonly wsConnections = this.gauge('ws_connections', 'Open client WebSocket connections', ['kind'])
  readonly wsMessages = this.counter('ws_messages_total', 'WebSocket messages relayed', ['direction'])
  /** One per run and credential scope while it stays buffered. */
  readonly playbackUpstreamFetches = this.counter('playback_timeline_loads_total', 'Run timelines loaded from the upstream', [])
  /** Every request of a run's SSE stream: a timeline's first read and each re-read after a drop. */
  readonly playbackUpstreamReads = this.counter(
    'playback_upstream_reads_total',
    'Requests of the upstream run stream by playback timelines',
    [],
  )
  /** Handshakes with `from=`: clients coming back after a lost connection (a storm means instances are dying). */
  readonly playbackResumes = this.counter(
    'playback_resumes_total',
    'Playback streams opened with from= (resuming after a lost connection)',
    [],
  )
  /** pool_full: a new run's timeline would not fit in --stream-pool-mb. */
  readonly streamsRefused = this.counter('playback_streams_refused_total', 'Playback streams refused at the handshake, by reason', [
    'reason',
  ])
  readonly rateLimited = this.counter('rate_limited_total', 'Requests refused with 429 by the per-client rate limits', [])
  /** 1 while rate-limit counters are shared through Redis (fleet-wide), 0 while each instance counts alone. */
  readonly rateLimitShared: Gauge = new Gauge({
    name: `${PREFIX}rate_limit_shared`,
    help: 'Rate limits counted across the fleet through Redis (1) or per instance (0)',
    registers: [this.registry],
    collect: () => {
      if (this.rateLimitsShared) this.rateLimitShared.set(this.rateLimitsShared() ? 1 : 0)
    },
  })
  /** Read at each scrape for `rate_limit_shared` (set when rate limits are on). */
  rateLimitsShared: (() => boolean) | undefined
  /** 1 while the instance takes traffic, 0 while it drains for a shutdown (/readyz 503). */
  readonly ready = this.gauge('ready', 'Whether /readyz would pass the draining check (0 while draining)', [])
  /** What the bounded in-process stores hold, as accounted against their bounds (read at each scrape). */
  readonly accountedBytes = new Gauge({
    name: `${PREFIX}memory_accounted_bytes`,
    help: 'Memory held by bounded in-process stores (cache, chart, runs, stream_pool), as accounted against their bounds',
    labelNames: ['store'],
    registers: [this.registry],
    collect: () => {
      for (const [store, read] of this.byteSources) this.accountedBytes.set({ store }, read())
    },
  })
  /** The bound each store is held to (alerts compare `memory_accounted_bytes` with it). */
  readonly boundBytes = this.gauge('memory_bound_bytes', 'The bound of each in-process store (--cache-max-mb split, --stream-pool-mb)', [
    'store',
  ])
  private readonly byteSources = new Map<string, () => number>()
  // Caches and aggregations
  readonly cacheErrors = this.counter('cache_errors_total', 'Failed shared-cache (Redis) operations; served on', ['op'])
  readonly redisUp = this.gauge('redis_up', '1 while the shared cache (Redis) is connected', [])
  /** hit (cache), miss, shared-fill (another instance filled it), fetch (an actual upstream call). */
  readonly chartChunks = this.counter('chart_chunks_total', 'Chart chunk lookups, by result', ['kind', 'result'])
  /** run: the detail, always, with the caller's credentials; stream: the SSE fallback. */
  readonly runUpstreamCalls = this.counter('run_upstream_calls_total', 'Upstream calls of the complete-run aggregation', ['kind'])

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX })
  }

  /** Reports `read()` as the accounted bytes of `store` at every scrape, next to its `bound`. */
  trackBytes(store: string, read: () => number, bound: number): void {
    this.byteSources.set(store, read)
    this.boundBytes.set({ store }, bound)
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name: PREFIX + name, help, labelNames, registers: [this.registry] })
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name: PREFIX + name, help, labelNames, registers: [this.registry] })
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({ name: PREFIX + name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [this.registry] })
  }

  // Label children by a string key: cheaper than letting prom-client hash a labels object on every
  // request of the hot path. Bounded: methods come from Node's parser (a fixed list), routes are labels.
  private readonly series = new Map<string, { observe(v: number): void }>()

  private child(key: string, make: () => { observe(v: number): void }): { observe(v: number): void } {
    let child = this.series.get(key)
    if (!child) {
      child = make()
      if (this.series.size < 4000) this.series.set(key, child)
    }
    return child
  }

  /** Records one served request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.child(`r ${method} ${route} ${status}`, () => this.requestDuration.labels(method, route, String(status))).observe(seconds)
  }

  /**
   * When (epoch ms) the upstream last answered anything at all, any status: evidence for `/readyz` that it
   * is reachable even while its health probe is slow (a loaded backend still answers real traffic).
   */
  lastUpstreamAnswerAt = 0

  /** Records the time until an upstream's response headers. */
  observeUpstream(route: string, status: number, seconds: number): void {
    this.lastUpstreamAnswerAt = Date.now()
    this.child(`u ${route} ${status}`, () => this.upstreamDuration.labels(route, String(status))).observe(seconds)
  }
}

/** A bounded route label: ids and symbols are replaced so the metric's cardinality stays small. */
export function routeLabel(path: string): string {
  const p = path.replace(/^\/api\/v1(?=\/|$)/, '')
  const prefix = path.startsWith('/api/v1') ? '/api/v1' : ''
  let m: RegExpExecArray | null
  if ((m = /^\/backtests\/[^/]+(\/stream|\/ws)?\/?$/.exec(p))) return `${prefix}/backtests/:id${m[1] ?? ''}`
  if ((m = /^\/runs\/[^/]+(\/[a-z]+)?\/?$/.exec(p))) return `${prefix}/runs/:id${m[1] ?? ''}`
  if (/^\/(healthz|backtests|bars\/(daily|minute|hour|minute_decimated)|openapi\.json|health|metrics|chart-data|runs|flags)\/?$/.test(p)) {
    return `${prefix}${p.replace(/\/$/, '')}`
  }
  return 'other'
}
