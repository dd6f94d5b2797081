// Image references after distribution/reference's grammar (reference/regexp.go).
import { UserError } from '../errors.js';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?$`);
const PATH = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME = 255;

/** Repositories without a registry live under this namespace of the private registry. */
export const NAMESPACE = 'cloud';

export interface ParsedRef {
  domain: string | null;
  path: string;
  tag: string | null;
  digest: string | null;
}

export interface ImageRef {
  registry: string;
  /** path inside the registry, e.g. cloud/simplewebapp1 */
  repository: string;
  tag: string | null;
  digest: string | null;
}

export class RefError extends Error {}

/** Splits NAME[:TAG][@DIGEST]; the first component is a registry when it looks like a host. */
export function parseReference(s: string): ParsedRef {
  const at = s.indexOf('@');
  const digest = at < 0 ? null : s.slice(at + 1);
  const rest = at < 0 ? s : s.slice(0, at);
  if (digest !== null && !DIGEST.test(digest)) throw new RefError(`"${s}": invalid digest "${digest}"`);
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const domain = hasDomain ? first : null;
  const remainder = hasDomain ? rest.slice(slash + 1) : rest;
  const colon = remainder.lastIndexOf(':');
  const path = colon < 0 ? remainder : remainder.slice(0, colon);
  const tag = colon < 0 ? null : remainder.slice(colon + 1);
  if (domain !== null && !DOMAIN.test(domain)) throw new RefError(`"${s}": invalid registry "${domain}"`);
  if (!PATH.test(path)) {
    throw new RefError(`"${s}": invalid name "${path}" (lowercase letters, digits, and . _ - / separators)`);
  }
  if (tag !== null && !TAG.test(tag)) throw new RefError(`"${s}": invalid tag "${tag}" (letters, digits, _ . -; at most 128)`);
  if ((domain ? domain.length + 1 : 0) + path.length > MAX_NAME) throw new RefError(`"${s}": name longer than ${MAX_NAME}`);
  return { domain, path, tag, digest };
}

/**
 * Resolves a reference against the private registry: `app:1` and `cloud/app:1` both mean
 * `<registry>/cloud/app:1`; a reference that names a registry is kept as it is.
 */
export function resolveImage(s: string, registry: string): ImageRef {
  const p = parseReference(s);
  if (p.domain !== null) return { registry: p.domain, repository: p.path, tag: p.tag, digest: p.digest };
  const repository = p.path.startsWith(`${NAMESPACE}/`) ? p.path : `${NAMESPACE}/${p.path}`;
  return { registry, repository, tag: p.tag, digest: p.digest };
}

export function isTag(s: string): boolean {
  return TAG.test(s);
}

/** `registry/repository` without tag or digest. */
export function repoName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}`;
}

export function formatRef(ref: ImageRef): string {
  return repoName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** The app an image runs by default: the last path component of its repository. */
export function appOf(ref: ImageRef): string {
  const parts = ref.repository.split('/');
  return parts[parts.length - 1]!;
}

/**
 * An image named on the command line or in a request: bad syntax is the user's error (exit 2),
 * said in the one place that maps RefError.
 */
export function resolveImageArg(s: string, registry: string): ImageRef {
  try {
    return resolveImage(s, registry);
  } catch (err) {
    if (err instanceof RefError) throw new UserError(err.message);
    throw err;
  }
}

/** NAME[:TAG] of the private registry (no other registry, no digest), as create-image and install-image take it. */
export function privateImageArg(s: string, registry: string, hint: string): ImageRef {
  const ref = resolveImageArg(s, registry);
  if (ref.registry !== registry || ref.digest !== null) throw new UserError(`"${s}": give NAME[:TAG]; ${hint}`);
  return ref;
}
