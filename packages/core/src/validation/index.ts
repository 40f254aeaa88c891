export { SYMBOL_RE, BOOL_WORDS, boolField, dateField, intField, isRealDate, parseBool, symbolField } from './fields.js'
export { guardUpstreamQuery } from './upstream-guard.js'
export { isPyBool, isPyIsoDate, pyInt, pyUnquote } from './python-semantics.js'
