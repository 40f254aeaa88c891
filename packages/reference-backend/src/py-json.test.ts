import { describe, expect, it } from 'vitest'
import { PyFloat, pyDumps, pyFloatRepr, pyLoads } from './py-json.js'

describe('pyFloatRepr matches CPython repr(float)', () => {
  const cases: [number, string][] = [
    [255, '255.0'],
    [100486.11999999995, '100486.11999999995'],
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1.5e-7, '1.5e-07'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [123456789012345680, '1.2345678901234568e+17'],
    [-0, '-0.0'],
    [0, '0.0'],
    [-2.5, '-2.5'],
    [0.009869999999999417, '0.009869999999999417'],
  ]
  for (const [x, repr] of cases) it(`${x} -> ${repr}`, () => expect(pyFloatRepr(x)).toBe(repr))
})

describe('pyDumps', () => {
  it('writes compact REST bodies and spaced stream payloads', () => {
    const v = { t: 'ctrl', n: 2, f: new PyFloat(2), a: [1, null, true] }
    expect(pyDumps(v)).toBe('{"t":"ctrl","n":2,"f":2.0,"a":[1,null,true]}')
    expect(pyDumps(v, { spaced: true })).toBe('{"t": "ctrl", "n": 2, "f": 2.0, "a": [1, null, true]}')
  })
  it('escapes like Python, with ensure_ascii on streams', () => {
    expect(pyDumps('é\n"', { ensureAscii: true })).toBe('"\\u00e9\\n\\""')
    expect(pyDumps('é')).toBe('"é"')
    expect(pyDumps('😀', { ensureAscii: true })).toBe('"\\ud83d\\ude00"')
  })
})

describe('pyLoads', () => {
  it('keeps floats as floats and key order as sent', () => {
    const v = pyLoads(' { "t" : "ctrl", "speed": 2.0, "n": 3, "x": 1e2 } ')
    expect(pyDumps(v, { spaced: true })).toBe('{"t": "ctrl", "speed": 2.0, "n": 3, "x": 100.0}')
  })
  it('rejects what json.loads rejects', () => {
    for (const bad of ['not json', '{"a":1,}', '{"a" 1}', '[1,2', '', '01']) expect(() => pyLoads(bad)).toThrow()
  })
  it('accepts NaN and Infinity as Python does', () => {
    expect(pyDumps(pyLoads('[NaN, -Infinity]'))).toBe('[NaN,-Infinity]')
  })
})
