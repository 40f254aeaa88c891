export { SYMBOL_RE, BOOL_WORDS, boolField, dateField, intField, isRealDate, parseBool, symbolField } from './fields.js'
export { guardUpstreamQuery } from './upstream-guard.js'
