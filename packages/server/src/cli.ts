#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createBffApp } from './app.js'
import { type BffConfig, ConfigError, OPTIONS, type OptionKey, resolveConfig } from './config/config.js'
import { heapLimitAdvice, recommendedNodeOptions } from './config/heap.js'
import { flagsCommand } from './flags/flags-command.js'
import { silenceSqliteExperimentalWarning } from './sqlite-warning.js'

silenceSqliteExperimentalWarning()

function help(): string {
  const rows = OPTIONS.map((o) => {
    const def = o.default === undefined ? '' : ` (default ${o.default})`
    return `  ${o.flag.padEnd(30)} ${o.help}${def}\n  ${''.padEnd(30)} env ${o.env}`
  })
  return `hewston-bff — Backend-for-Frontend for the Hewston backtesting platform

Usage: hewston-bff --backend <url> [options]
       hewston-bff flags get|set <group>=on|off...|clear --redis <url>   (see hewston-bff flags --help)
       hewston-bff node-options [options]   Print the NODE_OPTIONS an instance with these options should
                                            start with (a V8 heap limit sized to its memory bounds):
                                            NODE_OPTIONS="$(hewston-bff node-options $FLAGS)" hewston-bff $FLAGS

Options (a flag overrides its environment variable, which overrides the default):
${rows.join('\n')}
  --no-demo                      Same as --demo off
  -h, --help                     Show this help

Endpoints: GET /health, GET /metrics, the upstream API under /api/v1/... and at its own paths
(/healthz, /backtests..., /bars/...), WebSocket /api/v1/backtests/{id}/ws.
`
}

function fail(message: string): never {
  process.stderr.write(`hewston-bff: ${message}\n`)
  process.exit(2)
}

/** Options that may be given more than once (their values are joined with commas). */
const REPEATABLE = new Set<string>(['corsOrigins'])
const flagName = (o: (typeof OPTIONS)[number]) => (o.flag.split(' ')[0] as string).slice(2)

/** The config from command-line options and the environment; undefined when --help was asked for. */
function configFromArgs(args: string[]): BffConfig | undefined {
  let values: Record<string, string | string[] | boolean | undefined>
  try {
    values = parseArgs({
      args,
      options: {
        ...Object.fromEntries(OPTIONS.map((o) => [flagName(o), { type: 'string' as const, multiple: REPEATABLE.has(o.key) }])),
        'no-demo': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (err) {
    fail(`${(err as Error).message} (see --help)`)
  }
  if (values.help) {
    process.stdout.write(help())
    return undefined
  }
  const explicit: Partial<Record<OptionKey, string>> = {}
  if (values['no-demo']) explicit.demo = 'off'
  for (const o of OPTIONS) {
    const v = values[flagName(o)]
    if (typeof v === 'string') explicit[o.key] = v
    else if (Array.isArray(v) && v.length) explicit[o.key] = v.join(',')
  }
  let config: ReturnType<typeof resolveConfig>
  try {
    config = resolveConfig(explicit, process.env)
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    throw err
  }
  return config
}

async function main(): Promise<void> {
  if (process.argv[2] === 'flags') {
    const write = (stream: NodeJS.WriteStream) => (s: string) => void stream.write(s)
    process.exitCode = await flagsCommand(process.argv.slice(3), process.env, write(process.stdout), write(process.stderr))
    return
  }
  const nodeOptions = process.argv[2] === 'node-options'
  const config = configFromArgs(process.argv.slice(nodeOptions ? 3 : 2))
  if (!config) return
  if (nodeOptions) {
    process.stdout.write(`${recommendedNodeOptions(config)}\n`)
    return
  }
  const bff = createBffApp(config)
  try {
    await bff.listen()
  } catch (err) {
    fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`)
  }
  const heap = heapLimitAdvice(config)
  if (heap) bff.logger.warn({ heap_limit_mb: heap.limitMb, node_options: heap.recommended }, heap.message)
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    bff.logger.info({ signal }, 'graceful shutdown')
    void bff.close().then(() => process.exit(0))
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

void main()
