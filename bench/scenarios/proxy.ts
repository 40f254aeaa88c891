import path from 'node:path'
import { type LoadFigures, load } from '../lib/measure.js'
import { nginxBinary, startNginx } from '../lib/nginx.js'
import { freePort, ROOT, startNode, stopGracefully, track, waitFor } from '../lib/processes.js'

export interface ProxyRow {
  endpoint: string
  connections: number
  direct: LoadFigures
  bff: LoadFigures
  plain: LoadFigures
  nginx: LoadFigures | null
  added_p50_ms: number
  added_p99_ms: number
  bff_vs_plain_rps: number
  bff_vs_direct_rps: number
  /** Targets at 50 connections on GET /backtests/{id}: ≥ 0.9 and ≤ 1.3. */
  bff_vs_nginx_rps: number | null
  bff_vs_nginx_p99: number | null
}

export interface ProxyBench {
  rows: ProxyRow[]
  nginx: string | null
  cpu_profile_dir: string | null
}

/**
 * Transparent proxy overhead: the same requests straight to the upstream, through the BFF, through a plain
 * Express + http-proxy-middleware proxy and through nginx (what ops would put there instead), at 1, 10 and
 * 50 connections, measured in one run. With `cpuProf`, the BFF runs under `--cpu-prof` and writes a
 * profile (open it in Chrome DevTools) when the scenario ends.
 */
export async function proxyScenario(ctx: {
  backendUrl: string
  dataDir: string
  runId: string
  durationS: number
  cpuProf?: boolean
}): Promise<ProxyBench> {
  const bffPort = await freePort()
  const plainPort = await freePort()
  const profileDir = ctx.cpuProf ? path.join(ROOT, 'bench/results/profiles') : null
  const bffProcess = startNode([
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    'packages/server/dist/cli.js',
    '--backend',
    ctx.backendUrl,
    '--port',
    String(bffPort),
    '--root',
    ctx.dataDir,
  ])
  startNode(['--import', 'tsx', 'bench/plain-proxy.ts', ctx.backendUrl, String(plainPort)])
  const nginx = nginxBinary()
  let nginxUrl: string | null = null
  if (nginx) {
    const nginxPort = await freePort()
    track(startNginx(nginx, ctx.backendUrl, nginxPort))
    nginxUrl = `http://127.0.0.1:${nginxPort}`
    await waitFor(`${nginxUrl}/healthz`)
  } else {
    process.stdout.write('  nginx not installed (Debian: apt-get install nginx-light): the nginx baseline is skipped\n')
  }
  const bff = `http://127.0.0.1:${bffPort}`
  const plain = `http://127.0.0.1:${plainPort}`
  await waitFor(`${bff}/health`)
  await waitFor(`${plain}/healthz`)

  const endpoints = [
    ['GET /backtests', '/backtests'],
    ['GET /backtests/{id}', `/backtests/${ctx.runId}`],
    ['GET /bars/daily', '/bars/daily?symbol=AAPL&from=2024-01-01&to=2024-12-31'],
  ] as const
  const rows: ProxyRow[] = []
  for (const [name, urlPath] of endpoints) {
    for (const connections of [1, 10, 50]) {
      const bases = [ctx.backendUrl, `${bff}/api/v1`, plain, ...(nginxUrl ? [nginxUrl] : [])]
      // Warm each path (connection pools, JIT) before measuring.
      for (const base of bases) await load(`${base}${urlPath}`, connections, 1)
      const direct = await load(`${ctx.backendUrl}${urlPath}`, connections, ctx.durationS)
      const viaBff = await load(`${bff}/api/v1${urlPath}`, connections, ctx.durationS)
      const viaPlain = await load(`${plain}${urlPath}`, connections, ctx.durationS)
      const viaNginx = nginxUrl ? await load(`${nginxUrl}${urlPath}`, connections, ctx.durationS) : null
      const row: ProxyRow = {
        endpoint: name,
        connections,
        direct,
        bff: viaBff,
        plain: viaPlain,
        nginx: viaNginx,
        added_p50_ms: round(viaBff.p50 - direct.p50),
        added_p99_ms: round(viaBff.p99 - direct.p99),
        bff_vs_plain_rps: round(viaBff.rps / viaPlain.rps),
        bff_vs_direct_rps: round(viaBff.rps / direct.rps),
        bff_vs_nginx_rps: viaNginx ? round(viaBff.rps / viaNginx.rps) : null,
        bff_vs_nginx_p99: viaNginx ? round(viaBff.p99 / Math.max(1, viaNginx.p99)) : null,
      }
      rows.push(row)
      process.stdout.write(
        `  ${name.padEnd(20)} c=${String(connections).padEnd(3)} direct ${Math.round(direct.rps)}/s p99 ${direct.p99} | bff ${Math.round(viaBff.rps)}/s p99 ${viaBff.p99} | plain ${Math.round(viaPlain.rps)}/s${viaNginx ? ` | nginx ${Math.round(viaNginx.rps)}/s p99 ${viaNginx.p99}` : ''}\n`,
      )
    }
  }
  if (profileDir) {
    await stopGracefully(bffProcess)
    process.stdout.write(`  BFF CPU profile written to ${path.relative(ROOT, profileDir)}/ (open in Chrome DevTools → Performance)\n`)
  }
  return { rows, nginx: nginx ?? null, cpu_profile_dir: profileDir ? path.relative(ROOT, profileDir) : null }
}

const round = (x: number) => Math.round(x * 100) / 100
