import { createHmac } from 'node:crypto';

// OpenSSH's known_hosts format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): pure parsing and checking.

export interface KnownHost {
  marker: '@revoked' | '@cert-authority' | null;
  patterns: string[];
  keyType: string;
  key: Buffer;
  line: number;
}

export type HostKeyVerdict = 'ok' | 'unknown' | 'changed' | 'revoked';

export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue;
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift()! : null;
    if (fields.length < 3) continue;
    out.push({
      marker: marker as KnownHost['marker'],
      patterns: fields[0]!.split(','),
      keyType: fields[1]!,
      key: Buffer.from(fields[2]!, 'base64'),
      line: i + 1,
    });
  }
  return out;
}

/** The names OpenSSH looks a host up by: `name` on port 22, `[name]:port` on others. */
export function lookupNames(names: readonly string[], port: number): string[] {
  return names.map((n) => (port === 22 ? n : `[${n}]:${port}`));
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function matchesOne(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return globToRegExp(pattern).test(name);
}

/** A pattern list matches when some pattern matches and no negated one (`!pat`) does. */
export function patternsMatch(patterns: readonly string[], name: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchesOne(p.slice(1), name)) return false;
    } else if (matchesOne(p, name)) {
      hit = true;
    }
  }
  return hit;
}

/**
 * Accepts a key only when an entry for one of the host's names lists exactly that key;
 * entries for the host with other keys mean the key changed.
 */
export function checkHostKey(entries: readonly KnownHost[], names: readonly string[], key: Buffer): HostKeyVerdict {
  let seen = false;
  let found = false;
  for (const e of entries) {
    if (e.marker === '@cert-authority') continue;
    const same = e.key.equals(key);
    if (e.marker === '@revoked') {
      if (same) return 'revoked';
      continue;
    }
    if (!names.some((n) => patternsMatch(e.patterns, n))) continue;
    seen = true;
    if (same) found = true;
  }
  return found ? 'ok' : seen ? 'changed' : 'unknown';
}
