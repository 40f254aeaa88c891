import { describe, expect, it } from 'vitest'
import { pyBool, pyDate, pyFloatParse, pyInt } from './py-params.js'

describe('query coercion with pydantic-1 semantics', () => {
  it('parses ints like Python int()', () => {
    expect(pyInt('20')).toBe(20)
    expect(pyInt(' -3 ')).toBe(-3)
    expect(pyInt('1_000')).toBe(1000)
    for (const bad of ['abc', '1.5', '', '1e3', '_1']) expect(pyInt(bad)).toBeUndefined()
  })
  it('parses floats like Python float()', () => {
    expect(pyFloatParse('8')).toBe(8)
    expect(pyFloatParse('1e3')).toBe(1000)
    expect(pyFloatParse('inf')).toBe(Infinity)
    expect(pyFloatParse('abc')).toBeUndefined()
  })
  it('parses booleans like pydantic 1', () => {
    expect(pyBool('false')).toBe(false)
    expect(pyBool('YES')).toBe(true)
    expect(pyBool('maybe')).toBeUndefined()
  })
  it('parses dates like Python 3.11 date.fromisoformat', () => {
    expect(pyDate('2024-12-02')).toBe(Date.UTC(2024, 11, 2))
    expect(pyDate('20241202')).toBe(Date.UTC(2024, 11, 2))
    expect(pyDate('2024-W49-1')).toBe(Date.UTC(2024, 11, 2))
    for (const bad of ['2024-13-01', '2024-02-30', '2024-12-02T00:00:00Z', 'abcd-01-01', '2024-1-1']) {
      expect(pyDate(bad)).toBeUndefined()
    }
  })
})
