// The baseline a user would write instead of the BFF: Express + http-proxy-middleware, defaults only.
import express from 'express'
import { createProxyMiddleware } from 'http-proxy-middleware'

const [target, port] = [process.argv[2] as string, Number(process.argv[3])]
const app = express()
app.use(createProxyMiddleware({ target }))
app.listen(port, '127.0.0.1')
