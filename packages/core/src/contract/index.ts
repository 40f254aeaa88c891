export * from './backtests.js'
export * from './bars.js'
export * from './errors.js'
export * from './stream.js'
