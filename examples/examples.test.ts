import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { GenerateResult, ReferenceBackend } from '@hewston-bff/reference-backend'
import { repoRoot, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('examples run against the reference backend', () => {
  let backend: ReferenceBackend
  let data: GenerateResult
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ backend, data, cleanup } = await startGeneratedBackend({ seed: 4 }))
  })
  afterAll(async () => cleanup())
  const example = (name: string, args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'examples', name), ...args], { cwd: repoRoot(), timeout: 60_000 })

  it('chart-data.ts prints a decimated chart summary using core alone', async () => {
    const { stdout } = await example('chart-data.ts', [
      '--backend',
      backend.url,
      '--symbol',
      'AAPL',
      '--from',
      '2024-01-01',
      '--to',
      '2024-12-31',
      '--target',
      '2000',
    ])
    expect(stdout).toMatch(/^AAPL 1M_DECIMATED 2024-01-01\.\.2024-12-31/)
    // Cold: the upstream's own decimation (a couple of calls, total not known yet).
    expect(stdout).toMatch(/bars: \d+ of unknown \(decimated to \d+-minute buckets\)/)
    expect(stdout).toMatch(/upstream calls: [1-4],/)
  })

  it('run-report.ts prints metrics, equity extremes and order count, from artifacts or from the stream', async () => {
    const run = data.runs[0]
    const withRoot = await example('run-report.ts', ['--backend', backend.url, '--root', data.root, '--run', run?.runId as string])
    expect(withRoot.stdout).toContain(`run ${run?.runId}`)
    // Formatted for people: percentages, grouped numbers with at most 2 decimals.
    // metrics.json's own, completed with the ones computed from the equity curve (the same set as direct mode).
    expect(withRoot.stdout).toMatch(
      /metrics \(artifact\+computed\): total_return -?\d+\.?\d* %, max_drawdown \d+\.?\d* %, cagr -?[\d.]+ %, volatility [\d.]+ %, sharpe -?\d+\.\d{2}, sortino -?\d+\.\d{2}/,
    )
    expect(withRoot.stdout).toMatch(
      new RegExp(`equity \\(artifact\\): ${run?.equityRows.toLocaleString('en-US')} points, low [\\d,]+(\\.\\d{1,2})? at \\S+, high`),
    )
    expect(withRoot.stdout).toContain(`orders (artifact): ${run?.orders.toLocaleString('en-US')}`)
    const viaStream = await example('run-report.ts', ['--backend', backend.url, '--run', run?.runId as string])
    expect(viaStream.stdout).toMatch(/metrics \(computed\)/)
    expect(viaStream.stdout).toContain(`orders (stream): ${run?.orders.toLocaleString('en-US')}`)
    const missing = (await example('run-report.ts', ['--backend', backend.url, '--run', 'deadbeef']).catch((e) => e)) as {
      code: number
      stderr: string
    }
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^RUN_NOT_FOUND/)
  })

  it('stream-run.ts plays a run through the BFF stream with a progress bar and final counts', async () => {
    const { createBffApp, defaultConfig } = await import('@hewston-bff/server')
    const bff = createBffApp(defaultConfig({ backend: backend.url, port: 0, logLevel: 'silent' }))
    await bff.listen()
    try {
      const run = data.runs.find((r) => r.from === '2024-12-01')
      const { stdout } = await example('stream-run.ts', ['--bff', bff.url, '--run', run?.runId as string, '--speed', '2000'])
      expect(stdout).toMatch(/\[#+\] 100%/)
      const counts = `= ${run?.equityRows.toLocaleString('en-US')} frames; ${run?.orders.toLocaleString('en-US')} orders`
      expect(stdout).toContain(counts)
      const ordersOnly = await example('stream-run.ts', [
        '--bff',
        bff.url,
        '--run',
        run?.runId as string,
        '--speed',
        '2000',
        '--fields',
        'orders',
      ])
      expect(ordersOnly.stdout).toContain(counts)
      // An unknown run ends at once with the BFF's answer (it used to wait on heartbeats forever).
      const unknown = (await example('stream-run.ts', ['--bff', bff.url, '--run', 'no-such-run']).catch((e) => e)) as {
        code: number
        stderr: string
      }
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toMatch(/^RUN_NOT_FOUND: Run no-such-run not found/)
    } finally {
      await bff.close()
    }
  })

  it('say which service is unreachable and what to do, with exit 1 and no stack trace; bad options exit 2', async () => {
    const { freePort } = await import('@hewston-bff/reference-backend/testing')
    const nobody = `http://127.0.0.1:${await freePort()}`
    for (const [name, args, service] of [
      ['chart-data.ts', ['--backend', nobody], 'backend'],
      ['run-report.ts', ['--backend', nobody], 'backend'],
      ['stream-run.ts', ['--bff', nobody], 'BFF'],
    ] as const) {
      const down = (await example(name, [...args]).catch((e) => e)) as { code: number; stderr: string }
      expect(down.code, name).toBe(1)
      expect(down.stderr.trim(), name).toBe(
        `cannot reach the ${service} at ${nobody} (ECONNREFUSED): is it running? Start the demo with \`npm start\`, or pass ${args[0]} <url>.`,
      )
      const usage = (await example(name, ['--no-such-option']).catch((e) => e)) as { code: number; stderr: string }
      expect(usage.code, name).toBe(2)
      expect(usage.stderr, name).toMatch(/Unknown option '--no-such-option'[\s\S]*usage: /)
    }
  })

  it('chart-data.ts reports bad input clearly and exits 1', async () => {
    const err = (await example('chart-data.ts', ['--backend', backend.url, '--from', '2024-13-01']).catch((e) => e)) as {
      code: number
      stderr: string
    }
    expect(err.code).toBe(1)
    expect(err.stderr).toMatch(/^VALIDATION: invalid chart-data query .*from_date/)
  })
})
