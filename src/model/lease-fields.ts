// Checks on one field of a leases line, given as text[s, e): they scan in place without
// slicing, since the parser's goal is a million lines a second and allocation is what costs.

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function isWord(t: string, s: number, e: number, word: string): boolean {
  return e - s === word.length && t.startsWith(word, s);
}

/** Decimal seconds since the epoch; -1 when not a plain number a Date can hold. */
export function parseExpiry(t: string, s: number, e: number): number {
  if (e === s || e - s > 13) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n <= 8.64e12 ? n : -1;
}

/** Bytes written as dnsmasq does (`%.2x` joined by `:`): their count, or -1. */
export function hexBytes(t: string, s: number, e: number, maxBytes: number): number {
  const len = e - s;
  if (len === 0) return 0;
  if ((len + 1) % 3 !== 0 || (len + 1) / 3 > maxBytes) return -1;
  for (let i = s; i < e; i += 3) {
    if (hexValue(t.charCodeAt(i)) < 0 || hexValue(t.charCodeAt(i + 1)) < 0) return -1;
    if (i + 2 < e && t.charCodeAt(i + 2) !== 58) return -1;
  }
  return (len + 1) / 3;
}

/** Hardware type of `aa:bb:..` (1, Ethernet), `TT-bytes` or a bare `TT-`; -1 if malformed. */
export function hwType(t: string, s: number, e: number): number {
  let dash = -1;
  for (let i = s; i < e && i < s + 3; i++) if (t.charCodeAt(i) === 45) { dash = i; break; }
  if (dash < 0) return hexBytes(t, s, e, 16) > 0 ? 1 : -1;
  if (dash === s) return -1;
  let type = 0;
  for (let i = s; i < dash; i++) {
    const v = hexValue(t.charCodeAt(i));
    if (v < 0) return -1;
    type = type * 16 + v;
  }
  return hexBytes(t, dash + 1, e, 16) < 0 ? -1 : type;
}

/** Dotted quad as inet_pton(AF_INET) takes it: no leading zeros, each part 0-255. */
export function isIPv4(t: string, s: number, e: number): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = s; i <= e; i++) {
    const c = i < e ? t.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** An unqualified DHCP hostname: letters, digits, `-`, `_`, `.`; at most 63 characters. */
export function isLeaseHostname(t: string, s: number, e: number): boolean {
  if (e === s || e - s > 63) return false;
  for (let i = s; i < e; i++) {
    const c = t.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46;
    if (!ok) return false;
  }
  return true;
}

/** `iaid` or `Tiaid` (temporary address) of a DHCPv6 lease. */
export function isIaid(t: string, s: number, e: number): boolean {
  const from = t.charCodeAt(s) === 84 ? s + 1 : s;
  const n = parseExpiry(t, from, e);
  return n >= 0 && n <= 0xffffffff;
}
