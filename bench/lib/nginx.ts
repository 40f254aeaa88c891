import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** The nginx binary (Debian's `nginx-light` puts it in /usr/sbin), or undefined when not installed. */
export function nginxBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx', 'nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate
  }
  return undefined
}

/**
 * nginx as ops would put it in front of the backend instead of the BFF: a plain reverse proxy with a
 * keep-alive upstream pool (idle sockets closed before uvicorn's 5 s), no access log, response
 * buffering off (as the BFF streams), one worker per core. Config and temp files live in a fresh folder.
 */
export function startNginx(binary: string, backendUrl: string, port: number): ChildProcess {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hewston-bench-nginx-'))
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d))
  const backend = new URL(backendUrl)
  const conf = `worker_processes auto;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream hewston { server ${backend.hostname}:${backend.port}; keepalive 64; keepalive_timeout 4s; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://hewston;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`
  writeFileSync(path.join(dir, 'nginx.conf'), conf)
  return spawn(binary, ['-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] })
}
