import { freePort, startNode, waitFor } from '../lib/processes.js'
import { type LoadFigures, load } from '../lib/measure.js'

export interface ProxyRow {
  endpoint: string
  connections: number
  direct: LoadFigures
  bff: LoadFigures
  plain: LoadFigures
  added_p50_ms: number
  added_p99_ms: number
  bff_vs_plain_rps: number
  bff_vs_direct_rps: number
}

/**
 * Transparent proxy overhead: the same requests straight to the upstream, through the BFF and through a
 * plain http-proxy-middleware proxy, at 1, 10 and 50 connections, measured in one run.
 */
export async function proxyScenario(ctx: { backendUrl: string; dataDir: string; runId: string; durationS: number }): Promise<ProxyRow[]> {
  const bffPort = await freePort()
  const plainPort = await freePort()
  startNode(['packages/server/dist/cli.js', '--backend', ctx.backendUrl, '--port', String(bffPort), '--root', ctx.dataDir])
  startNode(['--import', 'tsx', 'bench/plain-proxy.ts', ctx.backendUrl, String(plainPort)])
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
  for (const [name, path] of endpoints) {
    for (const connections of [1, 10, 50]) {
      // Warm each path (connection pools, caches) before measuring.
      for (const base of [ctx.backendUrl, `${bff}/api/v1`, plain]) await load(`${base}${path}`, connections, 1)
      const direct = await load(`${ctx.backendUrl}${path}`, connections, ctx.durationS)
      const viaBff = await load(`${bff}/api/v1${path}`, connections, ctx.durationS)
      const viaPlain = await load(`${plain}${path}`, connections, ctx.durationS)
      const row: ProxyRow = {
        endpoint: name,
        connections,
        direct,
        bff: viaBff,
        plain: viaPlain,
        added_p50_ms: round(viaBff.p50 - direct.p50),
        added_p99_ms: round(viaBff.p99 - direct.p99),
        bff_vs_plain_rps: round(viaBff.rps / viaPlain.rps),
        bff_vs_direct_rps: round(viaBff.rps / direct.rps),
      }
      rows.push(row)
      process.stdout.write(
        `  ${name.padEnd(20)} c=${String(connections).padEnd(3)} direct p50 ${direct.p50} p99 ${direct.p99} ${Math.round(direct.rps)}/s | bff p50 ${viaBff.p50} p99 ${viaBff.p99} ${Math.round(viaBff.rps)}/s | plain ${Math.round(viaPlain.rps)}/s\n`,
      )
    }
  }
  return rows
}

const round = (x: number) => Math.round(x * 100) / 100
