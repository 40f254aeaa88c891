#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { WorkdirError } from './data/workdir.js'
import { parseRouteFault, type RouteFault } from './faults.js'
import { generateWorkdir } from './generate/generate.js'
import { ReferenceBackend } from './server.js'
import { silenceSqliteExperimentalWarning } from './sqlite-warning.js'

silenceSqliteExperimentalWarning()

const HELP = `hewston-reference-backend — a Hewston-compatible upstream (REST, SSE, WS) over a Hewston working directory

Usage:
  hewston-reference-backend --root <dir> [options]
  hewston-reference-backend generate --out <dir> [--symbols AAPL,MSFT] [--years 2024] [--seed 1]

Serve options:
  --root <dir>              Hewston working directory (holds data/catalog.sqlite, data/derived, data/backtests). Required.
  --port <n>                Port to listen on (default 8000; 0 picks a free port).
  --host <addr>             Address to bind (default 127.0.0.1).
  --cors-origin <origin>    Allow this browser origin too (repeatable); the upstream's own
                            http://localhost:5173 and http://127.0.0.1:5173 are always allowed.
  --heartbeat-ms <n>        WS heartbeat interval (default 5000, as upstream).
  --keep-alive-timeout-ms <n>
                            Close idle keep-alive connections silently after this long (default 5000,
                            uvicorn's timeout_keep_alive; 0 = never). Like uvicorn, the connection is also
                            closed after an unhandled 500, and malformed framing gets a 400.

Fault injection (off by default; for tests):
  --latency-ms <n>          Add this delay before every response and stream.
  --fail-route <spec>       "[METHOD ]PATH=STATUS|reset|hang", e.g. "GET /bars/*=503" (repeatable).
  --close-stream-after <n>  Drop WS/SSE connections abruptly after n frames.
  --sse-frames-per-second <n>
                            Throttle SSE streams to about n frames/s (the real backend manages ≈11 000).
  --stream-error            Answer every stream with the upstream HEAD's STREAM_ERROR instead of frames.

Generate options:
  --out <dir>               Folder to write the working directory into (its data/ is replaced).
  --symbols <list>          Comma-separated symbols (default AAPL,MSFT).
  --years <list>            Comma-separated years (default 2024).
  --seed <n>                Random seed (default 1); same seed, same bytes.

  -h, --help                Show this help.
`

function fail(message: string): never {
  process.stderr.write(`hewston-reference-backend: ${message}\n`)
  process.exit(2)
}

function intOption(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    fail(`--${name} must be an integer in ${min}..${max}, got "${value}"`)
  return Number(value)
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'generate') return generate(argv.slice(1))
  let values: Record<string, string | boolean | string[] | undefined>
  try {
    values = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'cors-origin': { type: 'string', multiple: true },
        'heartbeat-ms': { type: 'string' },
        'keep-alive-timeout-ms': { type: 'string' },
        'latency-ms': { type: 'string' },
        'fail-route': { type: 'string', multiple: true },
        'close-stream-after': { type: 'string' },
        'sse-frames-per-second': { type: 'string' },
        'stream-error': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (err) {
    fail(`${(err as Error).message} (see --help)`)
  }
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const root = values.root as string | undefined
  if (!root) fail('--root <dir> is required (see --help)')
  let routes: RouteFault[] = []
  try {
    routes = ((values['fail-route'] as string[] | undefined) ?? []).map(parseRouteFault)
  } catch (err) {
    fail((err as Error).message)
  }
  for (const origin of (values['cors-origin'] as string[] | undefined) ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) fail(`--cors-origin must look like http://host:port, got "${origin}"`)
  }
  let backend: ReferenceBackend
  try {
    backend = new ReferenceBackend({
      root,
      port: intOption(values.port as string | undefined, 'port', 8000, 0, 65535),
      host: (values.host as string | undefined) ?? '127.0.0.1',
      corsOrigins: values['cors-origin'] as string[] | undefined,
      heartbeatMs: intOption(values['heartbeat-ms'] as string | undefined, 'heartbeat-ms', 5000, 10),
      keepAliveTimeoutMs: intOption(values['keep-alive-timeout-ms'] as string | undefined, 'keep-alive-timeout-ms', 5000, 0, 3_600_000),
      faults: {
        latencyMs: intOption(values['latency-ms'] as string | undefined, 'latency-ms', 0),
        routes,
        closeStreamAfterFrames:
          values['close-stream-after'] === undefined
            ? undefined
            : intOption(values['close-stream-after'] as string, 'close-stream-after', 0),
        sseFramesPerSecond:
          values['sse-frames-per-second'] === undefined
            ? undefined
            : intOption(values['sse-frames-per-second'] as string, 'sse-frames-per-second', 0, 1),
        streamError: values['stream-error'] === true,
      },
    })
  } catch (err) {
    if (err instanceof WorkdirError) fail(`invalid --root: ${err.message}`)
    throw err
  }
  try {
    await backend.start()
  } catch (err) {
    fail(`cannot listen on ${backend.host}:${backend.port}: ${(err as Error).message}`)
  }
  process.stdout.write(`hewston-reference-backend serving ${backend.wd.root} at ${backend.url}\n`)
  const shutdown = () => {
    void backend.close().then(() => process.exit(0))
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

function generate(argv: string[]): void {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        symbols: { type: 'string' },
        years: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (err) {
    fail(`${(err as Error).message} (see --help)`)
  }
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const out = values.out as string | undefined
  if (!out) fail('generate needs --out <dir> (see --help)')
  const symbols = ((values.symbols as string | undefined) ?? 'AAPL,MSFT').split(',').map((s) => s.trim())
  for (const s of symbols) if (!/^[A-Z0-9.-]{1,16}$/.test(s)) fail(`--symbols: "${s}" is not a symbol (A-Z, 0-9, ".", "-")`)
  const years = ((values.years as string | undefined) ?? '2024').split(',').map((y) => y.trim())
  for (const y of years) if (!/^\d{4}$/.test(y) || Number(y) < 1971 || Number(y) > 2100) fail(`--years: "${y}" is not a year (1971..2100)`)
  const seed = intOption(values.seed as string | undefined, 'seed', 1)
  const started = Date.now()
  process.stdout.write(`generating ${symbols.join(', ')} for ${years.join(', ')} (seed ${seed}) into ${out}\n`)
  const result = generateWorkdir({
    out,
    symbols,
    years: years.map(Number),
    seed,
    progress: (line) => process.stdout.write(`${line}\n`),
  })
  process.stdout.write(
    `done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.runs.length} runs, ${result.minuteBars.toLocaleString('en-US')} minute bars\n`,
  )
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`hewston-reference-backend: ${(err as Error)?.stack ?? err}\n`)
  process.exit(1)
})
