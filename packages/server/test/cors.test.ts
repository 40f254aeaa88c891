import { ReferenceBackend } from '@hewston-bff/reference-backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/index.js'
import { startBff, startGeneratedBackend } from './support/harness.js'

describe("CORS on the BFF's own endpoints", () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let backend: ReferenceBackend
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 12 })
    // A second backend on the same data that allows one origin itself, as the upstream does.
    backend = await new ReferenceBackend({ root: gen.data.root, corsOrigins: ['http://127.0.0.1:5173'] }).start()
  })
  afterAll(async () => {
    await backend?.close()
    await gen?.cleanup()
  })

  it('allows the frontend dev origins by default, with credentials, exposed headers and Vary: Origin', async () => {
    const { bff, url } = await startBff(backend.url)
    try {
      for (const origin of ['http://127.0.0.1:5173', 'http://localhost:5173']) {
        const res = await fetch(`${url}/api/v1/flags`, { headers: { origin } })
        expect(res.status).toBe(200)
        expect(res.headers.get('access-control-allow-origin')).toBe(origin)
        expect(res.headers.get('access-control-allow-credentials')).toBe('true')
        expect(res.headers.get('access-control-expose-headers')).toMatch(/x-correlation-id/)
        expect(res.headers.get('vary')).toMatch(/Origin/)
      }
      const other = await fetch(`${url}/api/v1/chart-data?symbol=AAPL&timeframe=1D&from_date=2024-01-01&to_date=2024-01-31`, {
        headers: { origin: 'http://evil.example' },
      })
      expect(other.status).toBe(200)
      expect(other.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      await bff.close()
    }
  })

  it('answers preflights for its own paths (204, methods, requested headers, max-age)', async () => {
    const { bff, url } = await startBff(backend.url, { corsOrigins: 'https://app.example.com' })
    try {
      for (const path of ['/api/v1/chart-data', '/api/v1/runs', '/api/v1/runs/abc/complete', '/api/v1/flags', '/livez', '/health']) {
        const res = await fetch(`${url}${path}`, {
          method: 'OPTIONS',
          headers: {
            origin: 'https://app.example.com',
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        })
        expect(res.status, path).toBe(204)
        expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
        expect(res.headers.get('access-control-allow-methods')).toBe('GET,HEAD')
        expect(res.headers.get('access-control-allow-headers')).toBe('authorization')
        expect(res.headers.get('access-control-max-age')).toBe('600')
      }
      // Not an allowed origin: no CORS headers, so the browser refuses.
      const refused = await fetch(`${url}/api/v1/runs`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'GET' },
      })
      expect(refused.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      await bff.close()
    }
  })

  it('leaves proxied paths to the upstream: its own CORS headers, byte for byte, and nothing of ours', async () => {
    const { bff, url } = await startBff(backend.url, { corsOrigins: 'https://app.example.com' })
    try {
      for (const [origin, path] of [
        ['http://127.0.0.1:5173', '/api/v1/backtests?limit=1'],
        ['https://app.example.com', '/api/v1/backtests?limit=1'],
        ['http://127.0.0.1:5173', '/backtests?limit=1'],
      ] as const) {
        const direct = await fetch(`${backend.url}${path.replace('/api/v1', '')}`, { headers: { origin } })
        const proxied = await fetch(`${url}${path}`, { headers: { origin } })
        for (const h of ['access-control-allow-origin', 'access-control-allow-credentials', 'vary'])
          expect(proxied.headers.get(h), `${origin} ${path} ${h}`).toBe(direct.headers.get(h))
        await direct.body?.cancel()
        await proxied.body?.cancel()
      }
    } finally {
      await bff.close()
    }
  })

  it('accepts origins only (repeatable flag, comma list, or none) and names the option otherwise', () => {
    expect(resolveConfig({ backend: 'http://x', corsOrigins: 'https://a.example,http://127.0.0.1:3000' }).corsOrigins).toBe(
      'https://a.example,http://127.0.0.1:3000',
    )
    expect(resolveConfig({ backend: 'http://x', corsOrigins: 'none' }).corsOrigins).toBe('none')
    for (const bad of ['*', 'https://a.example/', 'https://a.example/app', 'a.example', 'ftp://a.example'])
      expect(() => resolveConfig({ backend: 'http://x', corsOrigins: bad }), bad).toThrow(/--cors-origin \(HEWSTON_CORS_ORIGINS\)/)
  })
})
