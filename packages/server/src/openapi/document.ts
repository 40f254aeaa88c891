import {
  chartQuerySchema,
  ErrorEnvelopeSchema,
  FlagsDocumentSchema,
  PlaybackQuerySchema,
  RunCompleteQuerySchema,
  RunListQuerySchema,
} from '@hewston-bff/core'
import { z } from 'zod'
import { HealthReportSchema } from '../routes/health.js'
import { LivezSchema, ReadyzSchema } from '../routes/probes.js'
import {
  ChartResponseSchema,
  EnrichedRunListSchema,
  PlaybackControlSchema,
  PlaybackMessageSchema,
  RunCompleteResponseSchema,
} from './answers.js'

type Json = Record<string, unknown>

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of the strings a query schema accepts, one parameter per field. */
function queryParameters(schema: z.core.$ZodType): Json[] {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Json>
    required?: string[]
  }
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s
    return { name, in: 'query', required: json.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest }
  })
}

const json = (ref: string, description: string) => ({ description, content: { 'application/json': { schema: { $ref: ref } } } })
const error = (description: string) => json('#/components/schemas/ErrorEnvelope', description)
/** The errors every BFF endpoint may answer with (the envelope; `Retry-After` on 429 and 503). */
const COMMON_ERRORS = {
  '429': error('RATE_LIMITED (--rate-limit-rps), with Retry-After'),
  '503': error('OVERLOADED (connection cap) or the breaker is open (UPSTREAM_UNAVAILABLE), with Retry-After'),
}
const UPSTREAM_ERRORS = {
  '502': error('UPSTREAM_UNAVAILABLE or UPSTREAM_CONTRACT: the backend failed or answered an unexpected shape'),
  '504': error('UPSTREAM_TIMEOUT'),
}
const RUN_ID = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'the run id',
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
}

/**
 * The OpenAPI 3.1 document of the BFF's own endpoints (`GET /api/v1/openapi.json`), built from the same zod
 * schemas the code validates queries with and types its answers by. Paths the BFF proxies are the
 * upstream's: its own document stays at `/openapi.json`.
 */
export function openApiDocument(version: string): Json {
  const registry = z.registry<{ id: string }>()
  const components: [z.core.$ZodType, string][] = [
    [ErrorEnvelopeSchema, 'ErrorEnvelope'],
    [ChartResponseSchema, 'ChartResponse'],
    [RunCompleteResponseSchema, 'RunCompleteResponse'],
    [EnrichedRunListSchema, 'EnrichedRunList'],
    [FlagsDocumentSchema, 'FlagsDocument'],
    [HealthReportSchema, 'HealthReport'],
    [LivezSchema, 'Livez'],
    [ReadyzSchema, 'Readyz'],
    [PlaybackMessageSchema, 'PlaybackMessage'],
    [PlaybackControlSchema, 'PlaybackControl'],
  ]
  for (const [schema, id] of components) registry.add(schema, { id })
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> }
  // Components are plain schemas of the document: no $schema, no $id (OpenAPI 3.1 dialect, refs by path).
  for (const s of Object.values(schemas)) {
    delete s.$schema
    delete s.$id
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Hewston BFF',
      version,
      description:
        "The BFF's own endpoints. Every other path is the Hewston backend's, proxied unchanged under /api/v1 and at its own paths (its document: /openapi.json). Errors the BFF originates use the envelope `{error: {code, message, details, correlation_id}}`; every answer carries `x-correlation-id`.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    paths: {
      '/api/v1/chart-data': {
        get: {
          operationId: 'getChartData',
          summary: 'Chart bars in any timeframe, decimated to a point budget and cached',
          parameters: queryParameters(chartQuerySchema()),
          responses: {
            '200': json('#/components/schemas/ChartResponse', 'the bars (strong ETag; 304 on If-None-Match)'),
            '304': { description: 'not modified (If-None-Match)' },
            '422': error('VALIDATION: every failing parameter in details'),
            ...COMMON_ERRORS,
            ...UPSTREAM_ERRORS,
          },
        },
      },
      '/api/v1/runs': {
        get: {
          operationId: 'listRuns',
          summary: "The backend's run list with each run's catalog metrics (with --root)",
          parameters: queryParameters(RunListQuerySchema),
          responses: {
            '200': json('#/components/schemas/EnrichedRunList', 'the runs'),
            '422': error('VALIDATION'),
            ...COMMON_ERRORS,
            ...UPSTREAM_ERRORS,
          },
        },
      },
      '/api/v1/runs/{id}/complete': {
        get: {
          operationId: 'getRunComplete',
          summary: 'A run with metrics, equity, orders (fills, chart) in one answer; parts fail alone',
          parameters: [RUN_ID, ...queryParameters(RunCompleteQuerySchema)],
          responses: {
            '200': json(
              '#/components/schemas/RunCompleteResponse',
              'the run (partial_data and failed_sources say what is missing and why)',
            ),
            '401': { description: "the backend's own answer, passed through unchanged" },
            '403': { description: "the backend's own answer, passed through unchanged" },
            '404': error('RUN_NOT_FOUND'),
            '422': error('VALIDATION'),
            ...COMMON_ERRORS,
            ...UPSTREAM_ERRORS,
          },
        },
      },
      '/api/v1/runs/{id}/stream': {
        get: {
          operationId: 'openRunStream',
          summary: 'Paced, resumable playback of a run (WebSocket)',
          description:
            'Connect with a WebSocket (ws:// or wss://). The server sends PlaybackMessage objects (JSON text frames); the client sends PlaybackControl objects. See docs/stream.md.',
          parameters: [RUN_ID, ...queryParameters(PlaybackQuerySchema)],
          responses: {
            '101': {
              description:
                'switching protocols: then PlaybackMessage frames (server → client) and PlaybackControl frames (client → server)',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/PlaybackMessage' },
                },
              },
            },
            '401': { description: "the backend's own answer, passed through unchanged" },
            '403': { description: "the backend's own answer, passed through unchanged" },
            '404': error('RUN_NOT_FOUND: refused at the handshake'),
            '422': error('VALIDATION: a handshake parameter'),
            '426': error('UPGRADE_REQUIRED: a plain HTTP request'),
            '429': COMMON_ERRORS['429'],
            '503': error('OVERLOADED: the playback pool is full (--stream-pool-mb) or the connection cap is reached, with Retry-After'),
          },
        },
      },
      '/api/v1/flags': {
        get: {
          operationId: 'getFlags',
          summary: "Which endpoint groups browsers should send through the BFF (ops' kill switch)",
          responses: { '200': json('#/components/schemas/FlagsDocument', 'the flags document'), ...COMMON_ERRORS },
        },
      },
      '/health': {
        get: {
          operationId: 'getHealth',
          summary: 'The detailed report: backend, Redis, catalog, rate limits (not a liveness probe)',
          responses: {
            '200': json('#/components/schemas/HealthReport', 'ok or degraded'),
            '503': json('#/components/schemas/HealthReport', 'down: the backend does not answer'),
          },
        },
      },
      '/livez': {
        get: {
          operationId: 'getLivez',
          summary: 'Liveness: the process and its event loop answer (no dependency checked)',
          responses: { '200': json('#/components/schemas/Livez', 'live') },
        },
      },
      '/readyz': {
        get: {
          operationId: 'getReadyz',
          summary: 'Readiness: not draining, and the backend reachable within the health timeout',
          parameters: [
            {
              name: 'only',
              in: 'query',
              required: false,
              description: 'drain: check draining only',
              schema: { type: 'string', enum: ['drain'] },
            },
          ],
          responses: {
            '200': json('#/components/schemas/Readyz', 'ready'),
            '503': json('#/components/schemas/Readyz', 'draining, or the backend unreachable past the grace'),
          },
        },
      },
      '/api/v1/openapi.json': {
        get: { operationId: 'getOpenApi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
    components: { schemas },
  }
}
