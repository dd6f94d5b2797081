import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UserError(`--listen: expected HOST:PORT (e.g. 127.0.0.1:8700), got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port };
}

/** The built-in admin's token from api.tokenFile; null when the config names none (retired: users only). */
export function readTokenIfSet(config: Pick<Config, 'api'>): string | null {
  return config.api.tokenFile ? readToken(config) : null;
}

export function readToken(config: Pick<Config, 'api'>): string {
  const file = config.api.tokenFile;
  if (!file) throw new UserError('config api.tokenFile is not set: the API needs a token file (lab up writes one)');
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new EnvError(`${file}: cannot read the API token: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (token.length < 16 || /\s/.test(token)) throw new UserError(`${file}: the API token must be one word of at least 16 characters`);
  return token;
}
