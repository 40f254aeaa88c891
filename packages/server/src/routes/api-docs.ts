import { existsSync } from 'node:fs'
import path from 'node:path'
import express, { type RequestHandler, type Router } from 'express'
import { openApiDocument } from '../openapi/document.js'
import { packageDist } from './demo.js'

/** `GET /api/v1/openapi.json`: the BFF's own OpenAPI 3.1 document, built on the first request (not at every app creation). */
export function openApiRoute(version: string): RequestHandler {
  let body: string | undefined
  return (_req, res) => {
    body ??= JSON.stringify(openApiDocument(version))
    res.setHeader('cache-control', 'no-cache')
    res.type('application/json').send(body)
  }
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Hewston BFF API</title>
  <link rel="stylesheet" href="./swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="./swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '../openapi.json', dom_id: '#ui', deepLinking: true })
  </script>
</body>
</html>
`

/**
 * `/api/v1/docs/`: the OpenAPI document in Swagger UI, its assets served from this package (no CDN).
 * Undefined when the assets were not built.
 */
export function apiDocsRouter(): Router | undefined {
  const dir = packageDist('docs-ui')
  if (!dir || !['swagger-ui-bundle.js', 'swagger-ui.css'].every((f) => existsSync(path.join(dir, f)))) return undefined
  const router = express.Router()
  router.get('/', (req, res) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) return res.redirect(301, `${req.baseUrl}/`)
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    )
    res.type('html').send(PAGE)
  })
  router.use(express.static(dir, { index: false }))
  return router
}
