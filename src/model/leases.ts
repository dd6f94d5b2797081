import { isIPv6 } from 'node:net';
import { hexBytes, isLeaseHostname, hwType, isIaid, isIPv4, isWord, parseExpiry } from './lease-fields.js';
import { NameTable, nameHash } from './lease-names.js';
import { buildLeases, type LeaseRecords, type ParsedLeases } from './lease-nodes.js';

export type { LeaseEntry, LeaseNode, LeaseWarning, ParsedLeases } from './lease-nodes.js';

const MAX_TOKENS = 6;

/** Splits text[s, e) on runs of blanks into tok (start, end pairs); returns the token count. */
function tokenize(t: string, s: number, e: number, tok: Int32Array): number {
  let n = 0;
  let i = s;
  while (i < e) {
    let c = t.charCodeAt(i);
    while (i < e && (c === 32 || c === 9 || c === 13 || c === 11 || c === 12)) c = t.charCodeAt(++i);
    if (i >= e) break;
    const start = i;
    while (i < e && c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) c = t.charCodeAt(++i);
    if (n < MAX_TOKENS) { tok[2 * n] = start; tok[2 * n + 1] = i; }
    n++;
  }
  return n;
}

function quoted(t: string, tok: Int32Array, k: number): string {
  return `"${t.slice(tok[2 * k], tok[2 * k + 1])}"`;
}

/** Why lease fields 1-4 are wrong, or '' when they are right. */
function leaseProblem(t: string, tok: Int32Array, v6: boolean): string {
  if (!isWord(t, tok[6], tok[7], '*') && !isLeaseHostname(t, tok[6], tok[7])) {
    return `hostname ${quoted(t, tok, 3)} is not a valid name`;
  }
  if (!isWord(t, tok[8], tok[9], '*') && hexBytes(t, tok[8], tok[9], 255) <= 0) {
    return `client id ${quoted(t, tok, 4)} is not hex bytes`;
  }
  if (v6) return isIaid(t, tok[2], tok[3]) ? '' : `IAID ${quoted(t, tok, 1)} is not a number`;
  return hwType(t, tok[2], tok[3]) >= 0 ? '' : `hardware address ${quoted(t, tok, 1)} is not hex bytes`;
}

/** Parses dnsmasq's leases file (src/lease.c, lease_update_file). Never throws. */
export function parseLeases(text: string, now: Date): ParsedLeases {
  const r: LeaseRecords = { text, recs: new Float64Array(1024), used: 0, names: new NameTable(text), nameless: [], v6: [], warnings: [], serverDuid: null };
  const tok = new Int32Array(2 * MAX_TOKENS);
  let pos = 0;
  let line = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    line++;
    const n = tokenize(text, pos, end, tok);
    pos = end + 1;
    if (n === 0) continue;
    const problem = parseLine(r, tok, n, line);
    if (problem !== '') r.warnings.push({ line, message: `ignoring malformed lease: ${problem}` });
  }
  return buildLeases(r, now.getTime());
}

function parseLine(r: LeaseRecords, tok: Int32Array, n: number, line: number): string {
  const t = r.text;
  if (isWord(t, tok[0], tok[1], 'duid')) {
    if (n !== 2 || hexBytes(t, tok[2], tok[3], 130) <= 0) return 'expected "duid HEX"';
    r.serverDuid = t.slice(tok[2], tok[3]).toLowerCase();
    return '';
  }
  if (isWord(t, tok[0], tok[1], 'agent-info') || isWord(t, tok[0], tok[1], 'vendorclass')) return '';
  if (n !== 5) return `expected "expiry hwaddr ip hostname client-id", got ${n} field${n === 1 ? '' : 's'}`;
  const expiry = parseExpiry(t, tok[0], tok[1]);
  if (expiry < 0) return `expiry "${t.slice(tok[0], tok[1])}" is not a number of seconds`;
  const v4 = isIPv4(t, tok[4], tok[5]);
  if (!v4 && !isIPv6(t.slice(tok[4], tok[5]))) return `"${t.slice(tok[4], tok[5])}" is not an IPv4 or IPv6 address`;
  const problem = leaseProblem(t, tok, !v4);
  if (problem !== '') return problem;
  const at = record(r, line, expiry, tok);
  if (!v4) { r.v6.push(at); return ''; }
  if (isWord(t, tok[6], tok[7], '*')) { r.nameless.push(at); return ''; }
  const h = nameHash(t, tok[6], tok[7]);
  const prev = r.names.get(r.recs, tok[6], tok[7], h);
  if (prev < 0 || isNewer(r.recs, at, prev)) r.names.set(r.recs, tok[6], tok[7], h, at);
  if (prev < 0) return '';
  const win = isNewer(r.recs, at, prev) ? at : prev;
  const lose = win === at ? prev : at;
  r.warnings.push({ line: r.recs[lose], message: duplicateMessage(r, win, lose) });
  return '';
}

function duplicateMessage(r: LeaseRecords, win: number, lose: number): string {
  const { text: t, recs } = r;
  const name = t.slice(recs[lose + 6], recs[lose + 7]);
  const winIp = t.slice(recs[win + 4], recs[win + 5]);
  const loseIp = t.slice(recs[lose + 4], recs[lose + 5]);
  return `hostname ${name} is leased twice: keeping the newer lease at line ${recs[win]} (${winIp}), ignoring this one (${loseIp})`;
}

function record(r: LeaseRecords, line: number, expiry: number, tok: Int32Array): number {
  const at = r.used;
  if (at + 10 > r.recs.length) {
    const grown = new Float64Array(r.recs.length * 2);
    grown.set(r.recs);
    r.recs = grown;
  }
  const recs = r.recs;
  recs[at] = line;
  recs[at + 1] = expiry;
  for (let k = 2; k < 10; k++) recs[at + k] = tok[k];
  r.used = at + 10;
  return at;
}

/** Largest expiry wins, 0 (infinite) above all; on a tie the first line stays. */
function isNewer(recs: Float64Array, a: number, b: number): boolean {
  const x = recs[a + 1];
  const y = recs[b + 1];
  if (x === y) return false;
  return x === 0 || (y !== 0 && x > y);
}
