import { ManualClock } from '@hewston-bff/core'
import { describe, expect, it } from 'vitest'
import { FallbackState, isBffOutage } from './fallback.js'
import { FlagStore, flagsFromSearch, flagsFromStorage } from './flags.js'

describe('flag resolution order: defaults → remote → localStorage → URL → runtime', () => {
  it('lets each later source override the earlier ones, per group', () => {
    const store = new FlagStore({
      defaults: { proxy: false, chartData: false },
      storage: flagsFromStorage({ getItem: () => '{"chartData": true, "runData": false, "junk": 1}' }),
      url: flagsFromSearch('?bff.runData=on&bff.stream=off'),
    })
    expect(store.get()).toEqual({ proxy: false, chartData: true, runData: true, stream: false })
    store.setRemote({ proxy: true, chartData: false })
    // Remote beats defaults, but localStorage (chartData) and the URL (runData) still win.
    expect(store.get()).toEqual({ proxy: true, chartData: true, runData: true, stream: false })
    store.set({ stream: true, chartData: false })
    expect(store.get()).toEqual({ proxy: true, chartData: false, runData: true, stream: true })
  })
  it('reads ?bff=off for every group and lets ?bff.<group> refine it', () => {
    expect(flagsFromSearch('?bff=off&bff.stream=on')).toEqual({ proxy: false, chartData: false, runData: false, stream: true })
    expect(flagsFromSearch('?other=1')).toEqual({})
  })
  it('emits `flags` when the effective flags change (remote kill switch included)', () => {
    const store = new FlagStore()
    const seen: unknown[] = []
    store.on('flags', (f) => seen.push(f))
    store.setRemote({ stream: false })
    store.setRemote({ stream: false })
    store.setRemote({})
    expect(seen).toEqual([
      { proxy: true, chartData: true, runData: true, stream: false },
      { proxy: true, chartData: true, runData: true, stream: true },
    ])
  })
  it('ignores broken localStorage content', () => {
    expect(flagsFromStorage({ getItem: () => '{nope' })).toEqual({})
    expect(flagsFromStorage(undefined)).toEqual({})
  })
})

describe('fallback rules', () => {
  it('falls back on network errors, 502/503/504 and an open breaker — never on 4xx', () => {
    expect(isBffOutage(new TypeError('fetch failed'))).toBe(true)
    for (const status of [502, 503, 504]) expect(isBffOutage({ status })).toBe(true)
    for (const status of [400, 401, 403, 404, 422, 500]) expect(isBffOutage({ status })).toBe(false)
    expect(isBffOutage({ code: 'UPSTREAM_UNAVAILABLE' })).toBe(true)
    expect(isBffOutage({ code: 'VALIDATION' })).toBe(false)
  })
  it('keeps a group direct for the cooldown, then probes /health before switching back', async () => {
    const clock = new ManualClock(0)
    let healthy = false
    let probes = 0
    const state = new FallbackState(
      1000,
      async () => {
        probes++
        return healthy
      },
      clock,
    )
    const events: string[] = []
    state.on('fallback', (e) => events.push(`fallback:${e.group}`))
    state.on('recovered', (g) => events.push(`recovered:${g}`))
    state.trip('chartData', 'down')
    expect(await state.bffAllowed('chartData')).toBe(false)
    expect(await state.bffAllowed('stream')).toBe(true)
    clock.tick(1500)
    expect(await state.bffAllowed('chartData')).toBe(false) // probe failed: cooldown again
    clock.tick(500)
    expect(await state.bffAllowed('chartData')).toBe(false)
    healthy = true
    clock.tick(1000)
    expect(await state.bffAllowed('chartData')).toBe(true)
    expect(probes).toBe(2)
    expect(events).toEqual(['fallback:chartData', 'recovered:chartData'])
  })
})
