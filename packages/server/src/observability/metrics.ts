import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The BFF's Prometheus metrics, on a registry of its own (no global state: two apps in one process keep
 * separate counts).
 */
export class BffMetrics {
  readonly registry = new Registry()
  readonly requestDuration = new Histogram({
    name: 'hewston_bff_http_request_duration_seconds',
    help: 'Duration of HTTP requests served by the BFF',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })
  readonly inFlight = new Gauge({
    name: 'hewston_bff_http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [this.registry],
  })
  readonly upstreamDuration = new Histogram({
    name: 'hewston_bff_upstream_request_duration_seconds',
    help: 'Time until the upstream answered (response headers)',
    labelNames: ['route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })
  readonly upstreamErrors = new Counter({
    name: 'hewston_bff_upstream_errors_total',
    help: 'Upstream calls that failed, by kind (unavailable, timeout, reset, breaker_open, status_5xx)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })
  readonly wsConnections = new Gauge({
    name: 'hewston_bff_ws_connections',
    help: 'Open client WebSocket connections',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })
  readonly wsMessages = new Counter({
    name: 'hewston_bff_ws_messages_total',
    help: 'WebSocket messages relayed',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  })
  readonly breakerState = new Gauge({
    name: 'hewston_bff_circuit_breaker_state',
    help: 'Upstream circuit breaker: 0 closed, 1 open, 2 half-open',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  })
  readonly validationRejections = new Counter({
    name: 'hewston_bff_validation_rejections_total',
    help: 'Requests answered 4xx by the BFF before reaching the upstream',
    labelNames: ['route'] as const,
    registers: [this.registry],
  })

  readonly cacheErrors = new Counter({
    name: 'hewston_bff_cache_errors_total',
    help: 'Shared-cache (Redis) operations that failed; requests carried on from memory/upstream',
    labelNames: ['op'] as const,
    registers: [this.registry],
  })
  readonly redisUp = new Gauge({
    name: 'hewston_bff_redis_up',
    help: '1 while the shared cache (Redis) is connected',
    registers: [this.registry],
  })
  readonly chartChunks = new Counter({
    name: 'hewston_bff_chart_chunks_total',
    help: 'Chart chunk lookups: hit (cache), miss, shared-fill (filled by another instance); fetch = actual upstream calls',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  })

  readonly runUpstreamCalls = new Counter({
    name: 'hewston_bff_run_upstream_calls_total',
    help: 'Upstream calls made by the complete-run aggregation: run (detail, always, with the caller\'s credentials) and stream (SSE fallback)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })

  readonly playbackUpstreamFetches = new Counter({
    name: 'hewston_bff_playback_timeline_loads_total',
    help: 'Run timelines the playback pool loaded from the upstream (one per run and credential scope while buffered)',
    registers: [this.registry],
  })

  readonly breakerTransitions = new Counter({
    name: 'hewston_bff_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by the state entered',
    labelNames: ['upstream', 'to'] as const,
    registers: [this.registry],
  })
  readonly upstreamRetries = new Counter({
    name: 'hewston_bff_upstream_retries_total',
    help: 'Pass-through requests retried once on a fresh connection after a reused keep-alive socket failed before any response',
    registers: [this.registry],
  })
  readonly clientErrors = new Counter({
    name: 'hewston_bff_client_errors_total',
    help: 'Requests refused before routing (malformed framing, oversized headers, timeouts, connection cap), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hewston_bff_' })
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

  /** Records the time until an upstream's response headers. */
  observeUpstream(route: string, status: number, seconds: number): void {
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
