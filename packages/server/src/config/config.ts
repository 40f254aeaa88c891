import { z } from 'zod'
import { isTrustedSpec } from '../http/client-address.js'

/** `https://app.example.com[:port]`: exactly what a browser sends in `Origin`. */
function isOrigin(value: string): boolean {
  try {
    const u = new URL(value)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === value
  } catch {
    return false
  }
}

/**
 * Every option of the BFF host: its CLI flag, its environment variable, its default and its meaning. The
 * CLI's --help, the zod schema and docs/server.md are all generated from / checked against this table.
 */
export const OPTIONS = [
  {
    key: 'backend',
    flag: '--backend <url>',
    env: 'HEWSTON_BACKEND_URL',
    default: undefined,
    help: 'Hewston backend base URL (required), e.g. http://127.0.0.1:8000',
  },
  { key: 'port', flag: '--port <n>', env: 'PORT', default: '8001', help: 'Port to listen on (0 picks a free one)' },
  { key: 'host', flag: '--host <addr>', env: 'HEWSTON_BFF_HOST', default: '127.0.0.1', help: 'Address to bind' },
  {
    key: 'root',
    flag: '--root <dir>',
    env: 'HEWSTON_ROOT',
    default: undefined,
    help: 'Read-only Hewston working directory (artifacts, catalog); optional',
  },
  { key: 'redis', flag: '--redis <url>', env: 'REDIS_URL', default: undefined, help: 'Redis for the shared cache; optional' },
  {
    key: 'upstreamTimeoutMs',
    flag: '--upstream-timeout-ms <n>',
    env: 'HEWSTON_UPSTREAM_TIMEOUT_MS',
    default: '30000',
    help: 'Time the upstream has to start answering before a 504',
  },
  {
    key: 'healthTimeoutMs',
    flag: '--health-timeout-ms <n>',
    env: 'HEWSTON_HEALTH_TIMEOUT_MS',
    default: '800',
    help: 'Upstream probe timeout of GET /health (the answer always comes within 1 s)',
  },
  {
    key: 'upstreamIdleMs',
    flag: '--upstream-idle-ms <n>',
    env: 'HEWSTON_UPSTREAM_IDLE_MS',
    default: '4000',
    help: "Idle keep-alive sockets to the upstream are closed after this long; keep it below the upstream's own idle timeout (uvicorn: 5000)",
  },
  {
    key: 'upstreamMaxSockets',
    flag: '--upstream-max-sockets <n>',
    env: 'HEWSTON_UPSTREAM_MAX_SOCKETS',
    default: '256',
    help: 'Keep-alive connections to the upstream at most (pass-through)',
  },
  {
    key: 'maxBodyBytes',
    flag: '--max-body-bytes <n>',
    env: 'HEWSTON_MAX_BODY_BYTES',
    default: '1048576',
    help: 'Largest request body accepted (413 above)',
  },
  {
    key: 'maxUrlBytes',
    flag: '--max-url-bytes <n>',
    env: 'HEWSTON_MAX_URL_BYTES',
    default: '8192',
    help: 'Longest request target accepted (414 above)',
  },
  {
    key: 'maxHeaderBytes',
    flag: '--max-header-bytes <n>',
    env: 'HEWSTON_MAX_HEADER_BYTES',
    default: '16384',
    help: 'Largest request head (request line and headers) accepted (431 above)',
  },
  {
    key: 'headersTimeoutMs',
    flag: '--headers-timeout-ms <n>',
    env: 'HEWSTON_HEADERS_TIMEOUT_MS',
    default: '10000',
    help: 'Time a client has to send its request headers (408 and close after; stops slowloris)',
  },
  {
    key: 'requestTimeoutMs',
    flag: '--request-timeout-ms <n>',
    env: 'HEWSTON_REQUEST_TIMEOUT_MS',
    default: '30000',
    help: 'Time a client has to send its whole request, body included (408 and close after)',
  },
  {
    key: 'maxConnections',
    flag: '--max-connections <n>',
    env: 'HEWSTON_MAX_CONNECTIONS',
    default: '10000',
    help: 'Open client connections at most; the next gets 503 and is closed',
  },
  {
    key: 'wsMaxMessageBytes',
    flag: '--ws-max-message-bytes <n>',
    env: 'HEWSTON_WS_MAX_MESSAGE_BYTES',
    default: '65536',
    help: 'Largest WebSocket message accepted from a client (close 1009 above)',
  },
  {
    key: 'breakerFailures',
    flag: '--breaker-failures <n>',
    env: 'HEWSTON_BREAKER_FAILURES',
    default: '5',
    help: 'Consecutive upstream failures that open the circuit breaker',
  },
  {
    key: 'breakerResetMs',
    flag: '--breaker-reset-ms <n>',
    env: 'HEWSTON_BREAKER_RESET_MS',
    default: '5000',
    help: 'How long the breaker stays open before probing again',
  },
  {
    key: 'shutdownTimeoutMs',
    flag: '--shutdown-timeout-ms <n>',
    env: 'HEWSTON_SHUTDOWN_TIMEOUT_MS',
    default: '10000',
    help: 'How long a graceful shutdown waits for in-flight requests',
  },
  {
    key: 'drainDelayMs',
    flag: '--drain-delay-ms <n>',
    env: 'HEWSTON_DRAIN_DELAY_MS',
    default: '0',
    help: "On SIGTERM, how long /readyz answers 503 while the BFF still serves, before it stops accepting: set it above your load balancer's health-check window (interval × fall)",
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy <list>',
    env: 'HEWSTON_TRUST_PROXY',
    default: undefined,
    help: 'Comma-separated addresses/CIDRs (or loopback, linklocal, uniquelocal) of proxies whose X-Forwarded-For is honoured for the client address (per-address limits, rate limits, logs)',
  },
  {
    key: 'rateLimitRps',
    flag: '--rate-limit-rps <n>',
    env: 'HEWSTON_RATE_LIMIT_RPS',
    default: '0',
    help: 'Requests per second per client identity (credential scope, else client address); across instances through --redis; 0 = off',
  },
  {
    key: 'rateLimitBurst',
    flag: '--rate-limit-burst <n>',
    env: 'HEWSTON_RATE_LIMIT_BURST',
    default: '0',
    help: 'Extra requests a client may make above --rate-limit-rps, replenished every 10 s',
  },
  {
    key: 'corsOrigins',
    flag: '--cors-origin <origin>',
    env: 'HEWSTON_CORS_ORIGINS',
    default: 'http://localhost:5173,http://127.0.0.1:5173',
    help: 'An origin (scheme://host[:port]) whose pages may call the BFF\'s own endpoints (CORS with credentials); repeat the flag or give a comma-separated list; "none" for none. Proxied paths keep the upstream\'s own CORS',
  },
  {
    key: 'redisKeyPrefix',
    flag: '--redis-prefix <text>',
    env: 'HEWSTON_REDIS_PREFIX',
    default: 'hewston-bff:',
    help: 'Prefix of every Redis key',
  },
  {
    key: 'cacheMaxMb',
    flag: '--cache-max-mb <n>',
    env: 'HEWSTON_CACHE_MAX_MB',
    default: '256',
    help: 'Memory for everything cached in process, in MiB: encoded entries (half), decoded chart chunks and answers (30 %), complete-run answers and remembered authorisations (20 %)',
  },
  {
    key: 'ttlTodayS',
    flag: '--ttl-today-s <n>',
    env: 'HEWSTON_TTL_TODAY_S',
    default: '300',
    help: 'Cache TTL of chunks that include today',
  },
  {
    key: 'ttlRecentS',
    flag: '--ttl-recent-s <n>',
    env: 'HEWSTON_TTL_RECENT_S',
    default: '3600',
    help: 'Cache TTL of chunks within the last 30 days',
  },
  { key: 'ttlOlderS', flag: '--ttl-older-s <n>', env: 'HEWSTON_TTL_OLDER_S', default: '86400', help: 'Cache TTL of older chunks' },
  {
    key: 'chartMaxSpanDays',
    flag: '--chart-max-span-days <n>',
    env: 'HEWSTON_CHART_MAX_SPAN_DAYS',
    default: '1827',
    help: 'Longest chart-data range (days)',
  },
  {
    key: 'chartConcurrency',
    flag: '--chart-concurrency <n>',
    env: 'HEWSTON_CHART_CONCURRENCY',
    default: '4',
    help: 'Upstream chunk fetches in flight per chart request',
  },
  {
    key: 'runActiveTtlS',
    flag: '--run-active-ttl-s <n>',
    env: 'HEWSTON_RUN_ACTIVE_TTL_S',
    default: '5',
    help: 'Cache TTL of complete-run answers for QUEUED/RUNNING runs (and partial answers)',
  },
  {
    key: 'runAuthTtlS',
    flag: '--run-auth-ttl-s <n>',
    env: 'HEWSTON_RUN_AUTH_TTL_S',
    default: '30',
    help: "How long a successful run authorisation (the run detail fetched with the caller's credentials) is trusted per credential scope: warm /complete answers inside it need no upstream call (0 = ask on every request: strict mode)",
  },
  {
    key: 'staleIfErrorS',
    flag: '--stale-if-error-s <n>',
    env: 'HEWSTON_STALE_IF_ERROR_S',
    default: '86400',
    help: 'While the upstream is out, serve cached chart chunks and complete-run answers up to this long past their freshness, marked stale (0 = never)',
  },
  {
    key: 'runDoneTtlS',
    flag: '--run-done-ttl-s <n>',
    env: 'HEWSTON_RUN_DONE_TTL_S',
    default: '3600',
    help: 'Cache TTL of complete-run answers for finished runs',
  },
  {
    key: 'streamMaxConnections',
    flag: '--stream-max-connections <n>',
    env: 'HEWSTON_STREAM_MAX_CONNECTIONS',
    default: '2000',
    help: 'Playback streams per instance (close 1013 above)',
  },
  {
    key: 'streamMaxPerIp',
    flag: '--stream-max-per-ip <n>',
    env: 'HEWSTON_STREAM_MAX_PER_IP',
    default: '1100',
    help: 'Playback streams per client address (close 1008 above)',
  },
  {
    key: 'streamMaxMessagesPerS',
    flag: '--stream-max-messages-per-s <n>',
    env: 'HEWSTON_STREAM_MAX_MESSAGES_PER_S',
    default: '20',
    help: 'Client messages per second on a playback stream (close 1008 above)',
  },
  {
    key: 'streamIdleTimeoutMs',
    flag: '--stream-idle-timeout-ms <n>',
    env: 'HEWSTON_STREAM_IDLE_TIMEOUT_MS',
    default: '30000',
    help: 'Close playback clients that stop answering pings for this long',
  },
  {
    key: 'streamHeartbeatMs',
    flag: '--stream-heartbeat-ms <n>',
    env: 'HEWSTON_STREAM_HEARTBEAT_MS',
    default: '5000',
    help: 'Heartbeat ({"t":"hb"} and protocol ping) interval of playback streams',
  },
  {
    key: 'streamPoolMb',
    flag: '--stream-pool-mb <n>',
    env: 'HEWSTON_STREAM_POOL_MB',
    default: '512',
    help: 'Memory for buffered run timelines (idle ones dropped least recently used first; when those in use fill it, new runs get 503)',
  },
  {
    key: 'streamUpstreamReads',
    flag: '--stream-upstream-reads <n>',
    env: 'HEWSTON_STREAM_UPSTREAM_READS',
    default: '4',
    help: 'Upstream run-stream reads of playback timelines in flight at most (the others wait their turn)',
  },
  {
    key: 'chartUpstreamFetches',
    flag: '--chart-upstream-fetches <n>',
    env: 'HEWSTON_CHART_UPSTREAM_FETCHES',
    default: '8',
    help: 'Upstream chart chunk fetches in flight at most, across all requests and background fills',
  },
  {
    key: 'streamBackoffMs',
    flag: '--stream-backoff-ms <list>',
    env: 'HEWSTON_STREAM_BACKOFF_MS',
    default: '1000,2000,4000,8000,16000,30000',
    help: 'Upstream reconnect delays (each ±20 % jitter; the last repeats)',
  },
  {
    key: 'flagsFile',
    flag: '--flags-file <path>',
    env: 'HEWSTON_FLAGS_FILE',
    default: undefined,
    help: 'JSON file of browser feature flags served at /api/v1/flags ({"stream": false}); re-read on every request',
  },
  {
    key: 'flagsPollMs',
    flag: '--flags-poll-ms <n>',
    env: 'HEWSTON_FLAGS_POLL_MS',
    default: '5000',
    help: 'How often browser clients should poll /api/v1/flags',
  },
  { key: 'demo', flag: '--demo <on|off>', env: 'HEWSTON_DEMO', default: 'on', help: 'Serve the browser demo at /demo/ (--no-demo = off)' },
  { key: 'logLevel', flag: '--log-level <level>', env: 'LOG_LEVEL', default: 'info', help: 'fatal|error|warn|info|debug|trace|silent' },
] as const

export type OptionKey = (typeof OPTIONS)[number]['key']

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const url = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')

export const ConfigSchema = z
  .object({
    backend: url,
    port: int(0, 65535),
    host: z.string().min(1),
    root: z.string().min(1).optional(),
    redis: z
      .string()
      .refine((u) => /^rediss?:\/\//.test(u), 'must be a redis:// URL')
      .optional(),
    upstreamTimeoutMs: int(100, 600_000),
    healthTimeoutMs: int(50, 950),
    upstreamIdleMs: int(100, 600_000),
    upstreamMaxSockets: int(1, 65_536),
    maxBodyBytes: int(1024, 100 * 1024 * 1024),
    maxUrlBytes: int(256, 1024 * 1024),
    maxHeaderBytes: int(1024, 1024 * 1024),
    headersTimeoutMs: int(100, 600_000),
    requestTimeoutMs: int(100, 3_600_000),
    maxConnections: int(1, 1_000_000),
    wsMaxMessageBytes: int(256, 16 * 1024 * 1024),
    breakerFailures: int(1, 1000),
    breakerResetMs: int(100, 600_000),
    shutdownTimeoutMs: int(0, 600_000),
    drainDelayMs: int(0, 600_000),
    trustProxy: z
      .string()
      .refine(
        (v) => v.split(',').every((x) => isTrustedSpec(x.trim())),
        'must be comma-separated IP addresses, CIDRs or loopback/linklocal/uniquelocal',
      )
      .optional(),
    corsOrigins: z
      .string()
      .refine(
        (v) => v === 'none' || v.split(',').every((o) => isOrigin(o.trim())),
        'must be origins like https://app.example.com (scheme, host and port only; no path, no "*"), comma-separated, or "none"',
      ),
    rateLimitRps: int(0, 1_000_000),
    rateLimitBurst: int(0, 1_000_000),
    redisKeyPrefix: z.string().max(100),
    cacheMaxMb: int(1, 65536),
    ttlTodayS: int(1, 86400 * 30),
    ttlRecentS: int(1, 86400 * 30),
    ttlOlderS: int(1, 86400 * 365),
    chartMaxSpanDays: int(1, 36600),
    chartConcurrency: int(1, 64),
    runActiveTtlS: int(1, 86400),
    runAuthTtlS: int(0, 86400),
    staleIfErrorS: int(0, 86400 * 30),
    runDoneTtlS: int(1, 86400 * 30),
    streamMaxConnections: int(1, 100_000),
    streamMaxPerIp: int(1, 100_000),
    streamMaxMessagesPerS: int(1, 10_000),
    streamIdleTimeoutMs: int(1000, 3_600_000),
    streamHeartbeatMs: int(50, 600_000),
    streamPoolMb: int(1, 65_536),
    streamUpstreamReads: int(1, 1000),
    chartUpstreamFetches: int(1, 1000),
    streamBackoffMs: z.string().regex(/^\d+(,\d+)*$/, 'must be a comma-separated list of milliseconds'),
    flagsFile: z.string().min(1).optional(),
    flagsPollMs: int(100, 3_600_000),
    demo: z.enum(['on', 'off'], { message: 'must be on or off' }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  })
  .refine((c) => c.headersTimeoutMs <= c.requestTimeoutMs, {
    path: ['headersTimeoutMs'],
    message: 'must not exceed --request-timeout-ms',
  })

export type BffConfig = z.infer<typeof ConfigSchema>

/** A configuration value that failed validation; `option` names the flag (and env var) to fix. */
export class ConfigError extends Error {
  readonly code = 'CONFIG'
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Builds the configuration from defaults, then environment variables, then explicit values (CLI flags or
 * code), validating everything with zod.
 */
export function resolveConfig(
  explicit: Partial<Record<OptionKey, string | number | undefined>>,
  env: Record<string, string | undefined> = {},
): BffConfig {
  const raw: Record<string, unknown> = {}
  for (const opt of OPTIONS) {
    const value = explicit[opt.key] ?? env[opt.env] ?? opt.default
    if (value !== undefined && value !== '') raw[opt.key] = value
  }
  const parsed = ConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const key = String(issue?.path[0] ?? '')
    const opt = OPTIONS.find((o) => o.key === key)
    const name = opt ? `${opt.flag.split(' ')[0]} (${opt.env})` : key
    const got = raw[key] === undefined ? 'missing' : `got "${String(raw[key])}"`
    throw new ConfigError(name, `invalid ${name}: ${issue?.message ?? 'invalid'} (${got})`)
  }
  return parsed.data
}

/** A complete config for code and tests: defaults for everything but the backend. */
export function defaultConfig(overrides: Partial<BffConfig> & { backend: string }): BffConfig {
  return { ...resolveConfig({ backend: overrides.backend }), ...overrides }
}
