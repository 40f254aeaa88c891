export { BOOL_WORDS, boolField, dateField, intField, isRealDate, parseBool, SYMBOL_RE, symbolField } from './fields.js'
export { isPyBool, isPyIsoDate, pyInt, pyUnquote } from './python-semantics.js'
export { guardUpstreamQuery } from './upstream-guard.js'
