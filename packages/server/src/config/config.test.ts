import { describe, expect, it } from 'vitest'
import { ConfigError, resolveConfig } from './config.js'

describe('resolveConfig', () => {
  it('takes explicit values over environment over defaults', () => {
    const c = resolveConfig({ backend: 'http://a:1', port: '9000' }, { PORT: '7000', HEWSTON_BACKEND_URL: 'http://b:2', LOG_LEVEL: 'warn' })
    expect(c).toMatchObject({ backend: 'http://a:1', port: 9000, host: '127.0.0.1', logLevel: 'warn', upstreamTimeoutMs: 30000 })
  })
  it('names the option and its env var in the error', () => {
    expect(() => resolveConfig({ backend: 'ftp://x' })).toThrow(ConfigError)
    expect(() => resolveConfig({ backend: 'ftp://x' })).toThrow(/--backend \(HEWSTON_BACKEND_URL\)/)
    expect(() => resolveConfig({ backend: 'http://x', redis: 'localhost' })).toThrow(/--redis \(REDIS_URL\)/)
    expect(() => resolveConfig({ backend: 'http://x', healthTimeoutMs: '5000' })).toThrow(/--health-timeout-ms/)
  })
})
