import { Writable } from 'node:stream'
import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll } from 'vitest'
import { type BffApp, type BffConfig, createBffApp, createLogger, defaultConfig } from '../../src/index.js'

/** Log lines a BFF wrote, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = []
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const line of chunk.toString().split('\n').filter(Boolean)) this.lines.push(JSON.parse(line))
    cb()
  }
}

/** Starts a BFF in this process on a free port, in front of `backend`, logging into a capture. */
export async function startBff(
  backend: string,
  overrides: Partial<BffConfig> = {},
): Promise<{ bff: BffApp; url: string; logs: LogCapture }> {
  const logs = new LogCapture()
  const config = defaultConfig({ backend, port: 0, logLevel: 'info', ...overrides })
  const bff = createBffApp(config, { logger: createLogger(config.logLevel, logs) })
  const url = await bff.listen()
  return { bff, url, logs }
}

type GeneratedBackend = Awaited<ReturnType<typeof startGeneratedBackend>>

/**
 * A reference backend on freshly generated data and an in-process BFF in front of it, set up before the
 * enclosing `describe` block's tests and torn down after them. Read `fx.gen` / `fx.bff` inside tests.
 */
export function bffOnGeneratedBackend(overrides: Partial<BffConfig> = {}): { gen: GeneratedBackend; bff: BffApp } {
  const fx = {} as { gen: GeneratedBackend; bff: BffApp }
  beforeAll(async () => {
    fx.gen = await startGeneratedBackend()
    fx.bff = (await startBff(fx.gen.backend.url, overrides)).bff
  })
  afterAll(async () => {
    await fx.bff?.close()
    await fx.gen?.cleanup()
  })
  return fx
}

export { startGeneratedBackend }
