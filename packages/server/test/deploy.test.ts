import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from '@hewston-bff/reference-backend/testing'
import { describe, expect, it } from 'vitest'
import { FLEET_FLAGS, fleetTools, haproxyConfig } from '../../../drill/fleet.js'
import { recommendedNodeOptions, resolveConfig } from '../src/index.js'

const read = (p: string) => readFileSync(path.join(repoRoot(), p), 'utf8')
const pairs = (flags: string[]) => flags.flatMap((f, i) => (f.startsWith('--') ? [[f, flags[i + 1] as string]] : []))

describe('the deploy files describe the topology the drill and the fleet tests run', () => {
  it("deploy/haproxy.cfg is the drill's HAProxy configuration, with the documented ports", () => {
    expect(read('deploy/haproxy.cfg')).toBe(
      haproxyConfig({ bind: '*', port: 8080, statsPort: 8404, servers: [0, 1, 2].map((i) => ({ name: `bff${i}`, port: 8001 + i })) }),
    )
  })

  it.skipIf(!fleetTools().haproxy)('deploy/haproxy.cfg is valid for HAProxy (haproxy -c)', async () => {
    const { stdout } = await promisify(execFile)('haproxy', ['-c', '-f', path.join(repoRoot(), 'deploy/haproxy.cfg')])
    expect(stdout).toMatch(/Configuration file is valid/)
  })

  it("the systemd unit, the Dockerfile and docs/deploy.md give instances the drill's fleet flags", () => {
    const unit = read('deploy/hewston-bff@.service')
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] as string
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(read('deploy/Dockerfile'))?.[1] as string) as string[]
    const doc = read('docs/deploy.md')
    for (const [flag, value] of pairs(FLEET_FLAGS)) {
      expect(exec).toContain(`${flag} ${value}`)
      expect(cmd.join(' ')).toContain(`${flag} ${value}`)
      expect(doc).toContain(`${flag} ${value}`)
    }
    expect(exec).toMatch(/node packages\/server\/dist\/cli\.js/)
  })

  it('the systemd unit and the Dockerfile start instances with the V8 heap limit of the default bounds', () => {
    const heap = recommendedNodeOptions(resolveConfig({ backend: 'http://127.0.0.1:8000' }))
    expect(heap).toBe('--max-old-space-size=1024')
    expect(read('deploy/hewston-bff@.service')).toContain(`Environment=NODE_OPTIONS=${heap}`)
    expect(read('deploy/Dockerfile')).toContain(`ENV NODE_OPTIONS=${heap}`)
    expect(read('docs/deploy.md')).toContain('hewston-bff node-options')
  })

  it('says plainly that the container files are not exercised by CI', () => {
    expect(read('docs/deploy.md')).toMatch(/not built or run by CI/)
    expect(read('deploy/Dockerfile')).toMatch(/NOT built or run by CI/)
    expect(read('deploy/compose.yaml')).toMatch(/NOT exercised by CI/)
  })
})
