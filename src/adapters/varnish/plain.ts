// The plain-text answers of `vcl.list` and `backend.list`, for Varnish without `-j` (4.1). Pure.
// Their columns differ by version (fixtures of 4.1.11, 6.0.16 and 7.1.1 in test/fixtures/varnish/):
//   vcl.list      4.1/6.0: "active      auto/warm          0 boot"
//                 7.x:     "active      auto    warm         0    boot"      (and "-> label" or "(N labels)" after)
//   backend.list  4.1:     "boot.default   1   probe   Healthy 3/3"        (Refs column; "Healthy (no probe)")
//                 6.0:     "boot.default   probe   Healthy 3/3   <date>"
//                 7.x:     "boot.default   probe   3/3   healthy   <date>"  (directors too)
import { EnvError } from '../../errors.js';
import type { BackendInfo, VclInfo } from '../varnish.js';

const STATUSES = new Set(['active', 'available', 'discarded']);

export function parsePlainVclList(body: string): VclInfo[] {
  const out: VclInfo[] = [];
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    const t = line.trim().split(/\s+/);
    const busyAt = t.findIndex((w, i) => i > 0 && /^\d+$/.test(w));
    if (!STATUSES.has(t[0]!) || busyAt < 0 || !t[busyAt + 1]) throw new EnvError(`varnish vcl.list: unexpected line: ${line.slice(0, 200)}`);
    const [state = '', temperature = ''] = t.slice(1, busyAt).join('/').split('/');
    // After the name: "-> VCL (N return(vcl)'s)" for a label, "(N labels)" or "<- (N labels)" for a labelled VCL.
    const rest = t.slice(busyAt + 2).join(' ');
    const label = /^->\s*(\S+)(?:\s*\((\d+) return\(vcl\))?/.exec(rest);
    const labels = /^(?:<-\s*)?\((\d+) labels?\)/.exec(rest);
    out.push({
      name: t[busyAt + 1]!, status: t[0]!, state, temperature, busy: Number(t[busyAt]),
      ...(label ? { label: label[1]!, refs: Number(label[2] ?? 0) } : {}),
      ...(labels ? { labels: Number(labels[1]) } : {}),
    });
  }
  return out;
}

const ADMIN = new Set(['probe', 'healthy', 'sick', 'auto', 'deleted']);

export function parsePlainBackendList(body: string): BackendInfo[] {
  const out: BackendInfo[] = [];
  for (const line of body.split('\n')) {
    // Skip the header, blank lines, and the indented detail lines of -p (probe windows, director members).
    if (!line.trim() || /^\s/.test(line) || line.startsWith('Backend name')) continue;
    const t = line.trim().split(/\s+/);
    const full = t[0]!;
    const dot = full.indexOf('.');
    const adminAt = t.findIndex((w, i) => i > 0 && ADMIN.has(w));
    const healthAt = t.findIndex((w, i) => i > adminAt && /^(healthy|sick)$/i.test(w));
    if (dot <= 0 || adminAt < 0 || healthAt < 0) throw new EnvError(`varnish backend.list: unexpected line: ${line.slice(0, 200)}`);
    const admin = t[adminAt]!;
    const counts = t.slice(adminAt + 1).map((w) => /^(\d+)\/(\d+)$/.exec(w)).find(Boolean);
    const window = counts ? Number(counts[2]) : 0;
    const probeSays = t[healthAt]!.toLowerCase() === 'healthy';
    out.push({
      vcl: full.slice(0, dot),
      name: full.slice(dot + 1),
      type: 'backend',
      admin,
      healthy: admin === 'healthy' ? true : admin === 'sick' ? false : probeSays,
      probe: window > 0 ? { good: Number(counts![1]), window } : null,
    });
  }
  return out;
}
