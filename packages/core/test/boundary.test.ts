import { readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../src')
const FORBIDDEN = /from\s+['"](node:[^'"]+|express|ws|ioredis|better-sqlite3|http-proxy-middleware|pino|prom-client|fs|path|http|net|crypto)['"]/

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : []
  })
}

describe('@hewston-bff/core stays host-free', () => {
  it('imports no node:* module, framework or server-only library (it must run in the browser)', () => {
    const offenders = files(SRC).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((line) => FORBIDDEN.test(line))
        .map((line) => `${path.relative(SRC, f)}: ${line.trim()}`),
    )
    expect(offenders).toEqual([])
  })
})
