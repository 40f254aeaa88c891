import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { repoRoot, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fleetTools } from '../../../drill/fleet.js'
import { type BffProcess, spawnBff } from './support/processes.js'
import { testRedisUrl } from './support/redis.js'

const run = promisify(execFile)
const OPS = path.join(repoRoot(), 'docs/ops')
const { promtool } = fleetTools()
if (!promtool) {
  if (process.env.CI === 'true') throw new Error("promtool not found; .ci/run installs Debian's prometheus")
  console.warn('\n  NOTICE: skipping the alert-rule tests: no promtool on PATH (apt-get install -y prometheus).\n')
}

describe.skipIf(!promtool)('the alert rules ops run (docs/ops/alerts.yml)', () => {
  it('are valid Prometheus rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', path.join(OPS, 'alerts.yml')])
    expect(stdout).toMatch(/SUCCESS: 8 rules found/)
  })

  it('fire on the series that should raise them and stay silent on a healthy fleet (promtool test rules)', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', path.join(OPS, 'alerts.test.yml')])
    expect(stdout).toMatch(/SUCCESS/)
  })

  it('covers each alert the issue asks for with at least one firing case', () => {
    const rules = readFileSync(path.join(OPS, 'alerts.yml'), 'utf8')
    const tests = readFileSync(path.join(OPS, 'alerts.test.yml'), 'utf8')
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1] as string)
    expect(alerts).toEqual(
      expect.arrayContaining([
        'HewstonBffUpstreamErrorRatio',
        'HewstonBffBreakerOpen',
        'HewstonBffHighLatencyP99',
        'HewstonBffRedisDown',
        'HewstonBffPlaybackReconnectStorm',
        'HewstonBffMemoryAboveBounds',
      ]),
    )
    for (const alert of alerts) expect(tests).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`))
  })
})

describe.skipIf(!testRedisUrl())('metrics the alert rules read', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let bff: BffProcess
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 5 })
    bff = await spawnBff(gen.backend.url, ['--redis', testRedisUrl() as string, '--rate-limit-rps', '100', '--no-demo'])
  }, 60_000)
  afterAll(async () => {
    await bff?.stop()
    await gen?.cleanup()
  })

  it('are all exported by a running instance, so no rule watches a name that does not exist', async () => {
    const rules = readFileSync(path.join(OPS, 'alerts.yml'), 'utf8')
    const names = new Set([...rules.matchAll(/\b(hewston_bff_\w+)/g)].map((m) => (m[1] as string).replace(/_(bucket|count|sum)$/, '')))
    expect(names.size).toBeGreaterThanOrEqual(8)
    const text = await (await fetch(`${bff.url}/metrics`)).text()
    for (const name of names) expect(text, name).toContain(`# TYPE ${name} `)
  })
})
