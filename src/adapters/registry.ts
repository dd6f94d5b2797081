import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { EnvError } from '../errors.js';
import type { RegistryEndpoint } from './registry-access.js';

// A small client of the registry HTTP API v2 (distribution 2.8) over node:http(s) (fetch cannot
// be given a CA without the undici package). Schema 2 and OCI
// manifests only: the digest a push reports is the one of the schema 2 manifest, which the
// registry serves only when asked for it by Accept.

export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  /** digest of the image config blob; null for a manifest list or index */
  configDigest: string | null;
  /** bytes of the config and the (compressed) layers; null for a manifest list or index */
  size: number | null;
}

export interface ImageConfigInfo {
  /** EXPOSE'd ports as `8080/tcp` */
  exposedPorts: string[];
}

const MAX_PAGES = 100;

/** The `next` target of a Link header (RFC 5988), as the registry paginates with it. */
export function nextLink(header: string | null): string | null {
  const m = header?.match(/<([^>]+)>\s*;\s*rel="?next"?/);
  return m ? m[1]! : null;
}

export function registryBaseUrl(registry: string, tls = false): string {
  return registry.includes('://') ? registry.replace(/\/+$/, '') : `${tls ? 'https' : 'http'}://${registry}`;
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, one);
  }
  return headers;
}

export class RegistryClient {
  private readonly base: string;
  private readonly agent: Agent | undefined;
  private readonly authorization: string | undefined;

  /** `endpoint` says the CA its TLS must chain to and the credentials (registry-access.ts: endpointFor). */
  constructor(readonly registry: string, endpoint: RegistryEndpoint, private readonly timeoutMs = 10_000) {
    this.base = registryBaseUrl(registry, endpoint.ca !== undefined);
    this.agent = endpoint.ca ? new Agent({ ca: endpoint.ca, keepAlive: true }) : undefined;
    const c = endpoint.credentials;
    this.authorization = c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
  }

  async ping(): Promise<void> {
    await this.request('GET', '/v2/');
  }

  async catalog(): Promise<string[]> {
    return this.paged('/v2/_catalog?n=1000', 'repositories');
  }

  /** Tags of a repository; [] when the repository does not exist. */
  async tags(repository: string): Promise<string[]> {
    return this.paged(`/v2/${repository}/tags/list?n=1000`, 'tags');
  }

  /** The manifest digest a tag or digest resolves to; null when the registry has none. */
  async digest(repository: string, reference: string): Promise<string | null> {
    const res = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, MANIFEST_TYPES);
    return res ? res.headers.get('docker-content-digest') : null;
  }

  async manifest(repository: string, reference: string): Promise<ManifestInfo | null> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, MANIFEST_TYPES);
    if (!res) return null;
    const body = (await res.json()) as { mediaType?: string; config?: { digest?: string; size?: number }; layers?: { size?: number }[] };
    return {
      digest: res.headers.get('docker-content-digest') ?? '',
      mediaType: body.mediaType ?? res.headers.get('content-type') ?? '',
      configDigest: body.config?.digest ?? null,
      size: body.config && body.layers ? (body.config.size ?? 0) + body.layers.reduce((n, l) => n + (l.size ?? 0), 0) : null,
    };
  }

  /**
   * Deletes a manifest by digest (every tag at it goes with it; the blobs stay until the garbage
   * collection). false when the registry had none. Needs the read-write face, deletion enabled.
   */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const res = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`, MANIFEST_TYPES);
    await res?.body?.cancel();
    return res !== null;
  }

  async imageConfig(repository: string, configDigest: string): Promise<ImageConfigInfo> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${configDigest}`);
    if (!res) throw new EnvError(`registry ${this.registry}: ${repository}: config blob ${configDigest} is missing`);
    const body = (await res.json()) as { config?: { ExposedPorts?: Record<string, unknown> } };
    return { exposedPorts: Object.keys(body.config?.ExposedPorts ?? {}) };
  }

  private async paged(first: string, key: 'repositories' | 'tags'): Promise<string[]> {
    const out: string[] = [];
    let path: string | null = first;
    for (let page = 0; path !== null && page < MAX_PAGES; page++) {
      const res = await this.request('GET', path);
      if (!res) return out;
      const body = (await res.json()) as Record<string, string[] | null>;
      out.push(...(body[key] ?? []));
      path = nextLink(res.headers.get('link'));
    }
    return out;
  }

  /** null on 404; an EnvError naming the registry on anything else that is not 2xx. */
  private async request(method: string, path: string, accept?: string[]): Promise<Response | null> {
    let res: Response;
    try {
      res = await this.send(method, path, accept);
    } catch (err) {
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new EnvError(`registry ${this.registry} is unreachable: ${cause}`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      const text = method === 'HEAD' ? '' : await res.text();
      throw new EnvError(`registry ${this.registry}: ${method} ${path}: HTTP ${res.status} ${registryError(text)}`.trim());
    }
    return res;
  }

  private send(method: string, path: string, accept?: string[]): Promise<Response> {
    const url = new URL(this.base + path);
    const headers: Record<string, string> = {};
    if (accept) headers.accept = accept.join(', ');
    if (this.authorization) headers.authorization = this.authorization;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent, signal: AbortSignal.timeout(this.timeoutMs) }, (res) => {
        const status = res.statusCode ?? 502;
        const empty = method === 'HEAD' || status === 204 || status === 304;
        if (empty) res.resume();
        const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: toHeaders(res.headers) }));
      });
      req.once('error', reject);
      req.end();
    });
  }
}

function registryError(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { message?: string }[] };
    return body.errors?.[0]?.message ?? '';
  } catch {
    return text.slice(0, 200);
  }
}
