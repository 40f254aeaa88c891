// A Prometheus (Debian's `prometheus`) scraping every instance of a fleet with the alert rules ops run
// (docs/ops/alerts.yml): what the fleet tests and the drill use to show that monitoring sees the whole fleet.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from '@hewston-bff/reference-backend/testing'
import { ROOT, waitUntil } from './fleet.js'

export interface TargetHealth {
  instance: string
  health: string
  lastError: string
}

export class Prometheus {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  /** Starts Prometheus scraping `targets` (host:port) every second as job `hewston-bff`, with the fleet's alert rules. */
  static async start(targets: string[]): Promise<Prometheus> {
    const dir = mkdtempSync(path.join(tmpdir(), 'hewston-prometheus-'))
    const port = await freePort()
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${path.join(ROOT, 'docs/ops/alerts.yml')}
scrape_configs:
  - job_name: hewston-bff
    static_configs:
      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]
`,
    )
    const child = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 100_000) stderr += d.toString()
    })
    const prometheus = new Prometheus(child, dir, `http://127.0.0.1:${port}`)
    try {
      await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr.slice(-2000)}`)
          return (await fetch(`${prometheus.url}/-/ready`).catch(() => undefined))?.ok === true
        },
        30_000,
        () => `prometheus did not become ready: ${stderr.slice(-2000)}`,
      )
    } catch (err) {
      await prometheus.stop()
      throw err
    }
    return prometheus
  }

  /** The scrape state of every target, as Prometheus reports it. */
  async targets(): Promise<TargetHealth[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: { labels: { instance: string }; health: string; lastError: string }[] }
    }
    return body.data.activeTargets.map((t) => ({ instance: t.labels.instance, health: t.health, lastError: t.lastError }))
  }

  /** An instant PromQL query; each result's labels and value. */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] }
    }
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }))
  }

  /** The alert rules Prometheus loaded (names), from its rules API. */
  async ruleNames(): Promise<string[]> {
    const body = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string }[] }[] } }
    return body.data.groups.flatMap((g) => g.rules.map((r) => r.name))
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000)
        this.child.once('exit', () => {
          clearTimeout(kill)
          resolve()
        })
        this.child.kill('SIGTERM')
      })
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}
