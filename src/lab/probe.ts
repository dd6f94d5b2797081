import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as tlsRequest } from 'node:https';
import { connect } from 'node:net';
import { alive } from '../adapters/store/lock.js';

/** Small liveness probes used by `lab status`; each resolves to true/false within its timeout. */

export function pidAlive(pidFile: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  return Number.isInteger(pid) && pid > 0 && alive(pid);
}

export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function httpOk(options: { socketPath?: string; host?: string; port?: number; path: string }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...options, method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export function dockerPing(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return httpOk({ socketPath, path: '/_ping' }, timeoutMs);
}

/** The CA file's contents; undefined when none is given, null when it cannot be read (the probe fails). */
function readCa(caFile: string | undefined): Buffer | undefined | null {
  try {
    return caFile ? readFileSync(caFile) : undefined;
  } catch {
    return null;
  }
}

/** The registry answers /v2/ (a 401 asking for credentials counts), over TLS checked against `caFile` when given. */
export function registryPing(hostPort: string, caFile?: string, timeoutMs = 2000): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  const ca = readCa(caFile);
  if (ca === null) return Promise.resolve(false);
  return new Promise((resolve) => {
    const options = { host, port: Number(port), path: '/v2/', method: 'GET', timeout: timeoutMs, ...(ca ? { ca } : {}) };
    const req = (ca ? tlsRequest : request)(options, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** An https URL answers below 400 within the timeout, its certificate checked against `caFile` when given. */
export function httpsOk(url: string, caFile?: string, timeoutMs = 2000): Promise<boolean> {
  const ca = readCa(caFile);
  if (ca === null) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = tlsRequest(url, { method: 'GET', timeout: timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
