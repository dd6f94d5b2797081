import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { MAX_RETRIES, renderVcl, vclView } from '../../src/model/vcl.js';
import type { RouteApp } from '../../src/model/routing.js';

const health = { path: '/', intervalMs: 2000, timeoutMs: 1000 };
const app = (name: string, n: number, over: Partial<RouteApp> = {}): RouteApp => ({
  name,
  hosts: [`${name}.test`],
  paths: [],
  director: 'round_robin',
  health,
  backends: Array.from({ length: n }, (_, k) => ({ container: `${name}-${k}`, node: `node${k + 1}`, address: `10.0.0.${k + 1}`, port: 8080 })),
  ...over,
});
const squash = (s: string) => s.replace(/\s+/g, ' ');

test('retries: one entry per app with two backends or more, its backends in director order', () => {
  const fallback = app('fb', 3, { director: 'fallback' });
  fallback.backends.reverse();
  const view = vclView({ apps: [app('one', 1), app('none', 0), app('web', 2), fallback] });
  assert.deepEqual(view.retries.map((r) => [r.keyword, r.app, r.backends.map((b) => `${b.keyword} ${b.name}`)]), [
    ['if', 'web', ['if be__web__node1__8080', 'elsif be__web__node2__8080']],
    ['elsif', 'fb', ['if be__fb__node3__8080', 'elsif be__fb__node2__8080', 'elsif be__fb__node1__8080']],
  ]);
  assert.equal(view.maxRetries, MAX_RETRIES);
});

test('a retry picks a healthy backend this request has not tried, and says so', () => {
  const vcl = squash(renderVcl({ apps: [app('web', 2)] }, readVclTemplates()));
  assert.ok(vcl.includes(
    'sub cmx_retry_pick { if (bereq.http.X-Cloudmatrix-App == "web") { ' +
    'if (std.healthy(be__web__node1__8080) && bereq.http.X-Cloudmatrix-Tried !~ ",be__web__node1__8080,") { ' +
    'set bereq.backend = be__web__node1__8080; set bereq.http.X-Cloudmatrix-Retry = "be__web__node1__8080"; } ' +
    'elsif (std.healthy(be__web__node2__8080)',
  ));
});

test('vcl_backend_error retries GET and HEAD only, within max_retries, then a page naming the app', () => {
  const vcl = squash(renderVcl({ apps: [app('web', 2)] }, readVclTemplates()));
  assert.ok(vcl.includes(`if ((bereq.method == "GET" || bereq.method == "HEAD") && bereq.retries < ${MAX_RETRIES}) {`));
  assert.ok(vcl.includes('set bereq.http.X-Cloudmatrix-Tried = bereq.http.X-Cloudmatrix-Tried + beresp.backend.name + ",";'));
  assert.ok(vcl.includes('call cmx_retry_pick; if (bereq.http.X-Cloudmatrix-Retry) { return (retry); }'));
  assert.ok(vcl.includes('No replica of app "} + bereq.http.X-Cloudmatrix-App + {" could answer.'));
  assert.ok(vcl.includes('No replica of app "} + req.http.X-Cloudmatrix-App + {" could answer.'));
  // the client cannot steer retries
  assert.ok(vcl.includes('unset req.http.X-Cloudmatrix-Tried; unset req.http.X-Cloudmatrix-Retry;'));
});

test('request bodies are kept for a resend only when small and of known length', () => {
  const vcl = squash(renderVcl({ apps: [app('web', 2)] }, readVclTemplates()));
  assert.ok(vcl.includes('if (req.method != "GET" && req.method != "HEAD" && req.http.Content-Length ~ "^[0-9]{1,6}$") { std.cache_req_body(1MB); }'));
});
