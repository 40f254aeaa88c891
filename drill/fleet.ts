// A fleet of BFF instances behind HAProxy with Redis as the shared state, started from real binaries on
// 127.0.0.1 — what the fleet tests and `npm run drill` run, and what docs/deploy.md describes.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@hewston-bff/reference-backend/testing'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BFF_CLI = path.join(ROOT, 'packages/server/dist/cli.js')

/** HAProxy's health-check cadence: a dead or draining instance is out of rotation after `fall` × `inter`. */
export const CHECK = { interMs: 200, fall: 3, rise: 2 }
/** How long an instance keeps serving after SIGTERM while /readyz says 503: above the check window, with margin. */
export const DRAIN_DELAY_MS = 1000

export interface FleetOptions {
  backendUrl: string
  redisUrl: string
  /** Key prefix in Redis, unique per fleet so parallel runs never share state. */
  redisPrefix: string
  instances?: number
  /** Extra flags for every BFF instance. */
  bffArgs?: string[]
  /** Keep each instance's JSON log lines (for assertions on them). */
  keepLogs?: boolean
}

export interface Instance {
  readonly index: number
  readonly port: number
  readonly url: string
  child: ChildProcess
  logs: string
}

/** Which tools the fleet needs and whether they are here. */
export function fleetTools(): { haproxy: boolean; prometheus: boolean; promtool: boolean } {
  const has = (cmd: string) => {
    try {
      execFileSync(cmd, ['--version'], { stdio: 'ignore' })
      return true
    } catch {
      try {
        execFileSync(cmd, ['-v'], { stdio: 'ignore' })
        return true
      } catch {
        return false
      }
    }
  }
  return { haproxy: has('haproxy'), prometheus: has('prometheus'), promtool: has('promtool') }
}

/** The HAProxy configuration of the fleet: HTTP and WebSockets, /readyz checks, retries of failed idempotent requests on another instance. */
export function haproxyConfig(o: {
  port: number
  statsPort: number
  servers: { name: string; port: number }[]
  /** Where clients connect (the drill: 127.0.0.1; deploy/haproxy.cfg: every interface). */
  bind?: string
}): string {
  return `global
  maxconn 4000

defaults
  mode http
  timeout connect 1s
  timeout client 120s
  timeout server 120s
  timeout tunnel 1h
  timeout check 2s
  # Longer than clients keep idle connections (browsers, undici: 4 s), so a client never reuses one HAProxy is closing.
  timeout http-keep-alive 30s
  # A request that finds an instance gone (refused, reset, empty answer) is tried again on another one;
  # HAProxy only retries requests that are safe to repeat. Answers (a 503 included) are never retried:
  # they reach the client as the instance gave them.
  retries 3
  retry-on conn-failure empty-response junk-response
  option redispatch 1
  # The BFFs trust this hop (--trust-proxy 127.0.0.1) and count clients by this header.
  option forwardfor

frontend bff
  bind ${o.bind ?? '127.0.0.1'}:${o.port}
  default_backend bffs

backend bffs
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter ${CHECK.interMs}ms fall ${CHECK.fall} rise ${CHECK.rise}
${o.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`).join('\n')}

frontend stats
  bind 127.0.0.1:${o.statsPort}
  stats enable
  stats uri /stats
`
}

/**
 * What makes an instance a member of the fleet (besides --backend, --port and --redis): it trusts the
 * balancer's X-Forwarded-For, and on SIGTERM reports not-ready for longer than HAProxy's check window
 * before it stops accepting. deploy/ uses exactly these.
 */
export const FLEET_FLAGS = ['--trust-proxy', '127.0.0.1', '--drain-delay-ms', String(DRAIN_DELAY_MS), '--shutdown-timeout-ms', '5000']

/** The flags every instance gets (besides --backend and --port). */
export function instanceArgs(o: FleetOptions): string[] {
  return [
    '--redis',
    o.redisUrl,
    '--redis-prefix',
    o.redisPrefix,
    ...FLEET_FLAGS,
    '--log-level',
    o.keepLogs ? 'info' : 'warn',
    '--no-demo',
    ...(o.bffArgs ?? []),
  ]
}

/**
 * The reference backend as a process of its own over a Hewston working directory: its event loop shared
 * with nothing else, as the real upstream's would be (the fleet's readiness depends on it).
 */
export async function startBackendProcess(root: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'packages/reference-backend/dist/cli.js'), '--root', root, '--port', String(port)],
    {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = `http://127.0.0.1:${port}`
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`reference backend exited ${child.exitCode}: ${stderr}`)
      return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true
    },
    30_000,
    () => `reference backend did not start: ${stderr}`,
  )
  return { url, stop: async () => void (await exited(child, 'SIGTERM')) }
}

export class Fleet {
  readonly instances: Instance[] = []
  private haproxy: ChildProcess | undefined
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'hewston-fleet-'))
  port = 0
  statsPort = 0

  /**
   * The V8 heap limit of the instances' bounds, as `hewston-bff node-options` computes it for their very
   * flags (the deployment's setting: deploy/hewston-bff@.service, Dockerfile). Asked once per fleet.
   */
  private readonly nodeOptions: string

  private constructor(private readonly options: FleetOptions) {
    this.nodeOptions = execFileSync(
      process.execPath,
      [BFF_CLI, 'node-options', '--backend', options.backendUrl, ...instanceArgs(options)],
      {
        encoding: 'utf8',
      },
    ).trim()
  }

  static async start(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(options)
    try {
      for (let i = 0; i < (options.instances ?? 3); i++) {
        const port = await freePort()
        fleet.instances.push({ index: i, port, url: `http://127.0.0.1:${port}`, child: undefined as unknown as ChildProcess, logs: '' })
      }
      await Promise.all(fleet.instances.map((inst) => fleet.launch(inst)))
      fleet.port = await freePort()
      fleet.statsPort = await freePort()
      const cfg = path.join(fleet.dir, 'haproxy.cfg')
      writeFileSync(
        cfg,
        haproxyConfig({
          port: fleet.port,
          statsPort: fleet.statsPort,
          servers: fleet.instances.map((i) => ({ name: `bff${i.index}`, port: i.port })),
        }),
      )
      fleet.haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      fleet.haproxy.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
      await waitUntil(
        async () => (await fleet.serverStates()).every((s) => s === 'UP'),
        15_000,
        () => `HAProxy did not see every instance up: ${stderr}`,
      )
      return fleet
    } catch (err) {
      await fleet.stop()
      throw err
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** HAProxy's view of each instance: UP, DOWN, MAINT, … (from its stats CSV). */
  async serverStates(): Promise<string[]> {
    const csv = await (await fetch(`http://127.0.0.1:${this.statsPort}/stats;csv`).catch(() => undefined))?.text()
    if (!csv) return this.instances.map(() => 'UNKNOWN')
    const rows = csv.split('\n').filter((l) => l.startsWith('bffs,bff'))
    return this.instances.map((i) => {
      const row = rows.find((r) => r.startsWith(`bffs,bff${i.index},`))
      return row?.split(',')[17]?.split(' ')[0] ?? 'UNKNOWN'
    })
  }

  /**
   * Records every change of HAProxy's view of the instances (state and the last check's result) until the
   * returned function is called; it returns the log, e.g. to explain a failed request.
   */
  watchChecks(): () => string[] {
    const log: string[] = []
    let last = ''
    const started = Date.now()
    const timer = setInterval(async () => {
      const csv = await (await fetch(`http://127.0.0.1:${this.statsPort}/stats;csv`).catch(() => undefined))?.text()
      if (!csv) return
      const header = (csv.split('\n')[0] ?? '').replace(/^# /, '').split(',')
      const col = (name: string) => header.indexOf(name)
      const now = csv
        .split('\n')
        .filter((l) => l.startsWith('bffs,bff'))
        .map((l) => {
          const c = l.split(',')
          return `${c[1]} ${c[col('status')]} (${c[col('check_status')]} ${c[col('last_chk')] ?? ''})`
        })
        .join(' | ')
      if (now !== last) log.push(`+${Date.now() - started} ms ${now}`)
      last = now
    }, 100)
    return () => {
      clearInterval(timer)
      return log
    }
  }

  /** SIGKILL: the instance is gone at once, mid-request and mid-stream. */
  async kill(index: number): Promise<void> {
    const inst = this.instances[index] as Instance
    await exited(inst.child, 'SIGKILL')
  }

  /** SIGTERM (graceful: drains, 1012 to streams), waits for the exit; resolves with the exit code. */
  async terminate(index: number): Promise<number | null> {
    const inst = this.instances[index] as Instance
    return exited(inst.child, 'SIGTERM')
  }

  /** Starts instance `index` again on its port and waits until HAProxy has it back in rotation. */
  async start(index: number): Promise<void> {
    const inst = this.instances[index] as Instance
    await this.launch(inst)
    await waitUntil(
      async () => (await this.serverStates())[index] === 'UP',
      15_000,
      () => `bff${index} did not come back up`,
    )
  }

  async stop(): Promise<void> {
    if (this.haproxy) await exited(this.haproxy, 'SIGTERM')
    await Promise.all(this.instances.map((i) => (i.child ? exited(i.child, 'SIGTERM') : undefined)))
    rmSync(this.dir, { recursive: true, force: true })
  }

  private async launch(inst: Instance): Promise<void> {
    const child = spawn(
      process.execPath,
      [BFF_CLI, '--backend', this.options.backendUrl, '--port', String(inst.port), ...instanceArgs(this.options)],
      {
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: this.nodeOptions },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    inst.child = child
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout?.on('data', (d: Buffer) => {
      if (this.options.keepLogs && inst.logs.length < 5_000_000) inst.logs += d.toString()
    })
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`bff${inst.index} exited ${child.exitCode}: ${stderr}`)
        return (await fetch(`${inst.url}/livez`).catch(() => undefined))?.ok === true
      },
      20_000,
      () => `bff${inst.index} did not come up: ${stderr}`,
    )
  }
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode)
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', (code) => {
      clearTimeout(kill)
      resolve(code)
    })
    child.kill(signal)
  })
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(what())
    await new Promise((r) => setTimeout(r, 50))
  }
}
