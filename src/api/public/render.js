// Builds the panels from API data with textContent only: nothing from the API becomes markup.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function table(head, rows, empty) {
  if (rows.length === 0) return el('div', { class: 'empty' }, empty);
  return el('table', {}, el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))), el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))));
}

const yes = (text) => el('span', { class: 'ok' }, text);
const no = (text) => el('span', { class: 'bad' }, text);

function until(iso) {
  if (!iso) return 'never (static)';
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const rel = Math.abs(s) < 120 ? `${Math.abs(s)} s` : Math.abs(s) < 7200 ? `${Math.round(Math.abs(s) / 60)} min` : `${Math.round(Math.abs(s) / 3600)} h`;
  return `${iso.replace('T', ' ').slice(0, 19)} (${s >= 0 ? 'in ' + rel : rel + ' ago'})`;
}

function bytes(n) {
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]]) if (n >= size) return `${Math.floor((n / size) * 10) / 10}${unit}`;
  return `${n}B`;
}

// reserved / total, as placement counts them (what cloudmatrix containers reserve against docker info)
function capacity(n, key, show) {
  if (!n.capacity) return el('span', { class: 'muted' }, '-');
  const used = n.reserved?.[key] ?? 0;
  return el('span', { class: used > n.capacity[key] * 0.9 ? 'warn' : '' }, `${show(used)} / ${show(n.capacity[key])}`);
}

export function nodes(list) {
  return table(['node', 'address', 'lease expires', 'reachable', 'CPUs reserved', 'memory reserved'], list.map((n) => [
    n.name, el('code', {}, n.ip), n.expired ? no('expired') : until(n.expiresAt),
    n.reachable === null ? el('span', { class: 'muted' }, 'not asked') : n.reachable ? yes('yes') : el('span', { class: 'bad', title: n.error ?? '' }, 'no'),
    capacity(n, 'cpus', (c) => String(Math.round(c * 100) / 100)), capacity(n, 'memory', bytes),
  ]), 'no nodes: no DHCP leases and no static nodes');
}

function reach(a, varnish) {
  if (a.worker) return el('span', { class: 'muted' }, 'worker: not routed');
  const out = [];
  for (const p of a.paths) out.push(el('div', {}, el('a', { href: `${varnish}${p}`, target: '_blank', rel: 'noopener' }, `${varnish}${p}`)));
  for (const h of a.hosts) out.push(el('div', {}, h), el('div', {}, el('code', {}, `curl -H 'Host: ${h}' ${varnish}/`)));
  return out;
}

export function apps(data, varnish) {
  const rows = data.apps.map((a) => [
    el('strong', {}, a.app), el('span', { class: 'muted' }, a.plan),
    el('span', { class: a.healthy >= a.desired ? 'ok' : a.healthy > 0 ? 'warn' : 'bad' }, `${a.healthy} / ${a.desired}`),
    a.nodes.join(', ') || '-', a.revisions.map((r) => el('code', {}, r)), reach(a, varnish),
  ]);
  const warn = data.unreachable.map((u) => el('p', { class: 'bad' }, `${u.node} is unreachable: ${u.message}`));
  return [table(['app', 'plan', 'healthy / desired', 'nodes', 'revision', 'reach it through Varnish'], rows, 'no plan deployed yet'), ...warn];
}

export function routes(list) {
  return table(['app', 'hosts and paths', 'director', 'backends'], list.map((r) => [
    el('strong', {}, r.app), [...r.hosts, ...r.paths].join(' '), r.director,
    r.backends.length === 0 ? no('no backends: 503') : r.backends.map((b) => el('span', {
      class: `badge ${b.healthy === null ? 'muted' : b.healthy ? 'ok' : 'bad'}`, title: b.name,
    }, `${b.node} ${b.address}:${b.port} ${b.healthy === null ? 'not loaded' : b.healthy ? 'healthy' : 'sick'}${b.probe ? ` ${b.probe}` : ''}`)),
  ]), 'no routes');
}

const resultClass = { ok: 'ok', unchanged: 'muted', partial: 'warn', failed: 'bad' };

/** Who is signed in: name and role, and the apps of a deployer or viewer. */
export function who(me) {
  return `${me.name} (${me.role}${me.apps ? `: ${me.apps.join(', ') || 'no apps'}` : ''})`;
}

export function deploys(list) {
  return table(['started', 'deploy', 'kind', 'plan', 'by', 'result', 'apps'], list.map((d) => [
    d.startedAt.replace('T', ' ').slice(0, 19), el('code', {}, d.id), d.note ? el('div', {}, d.kind, el('div', { class: 'muted' }, d.note)) : d.kind, d.plan,
    d.user ? el('span', { title: d.via ?? '' }, d.user) : el('span', { class: 'muted' }, '-'),
    el('span', { class: resultClass[d.result] ?? '' }, d.result),
    d.apps.filter((a) => a.result !== 'unchanged').map((a) => el('div', {}, `${a.app}: ${a.result}${a.image ? ` (${a.image})` : ''}`,
      a.error ? el('div', { class: 'muted' }, a.error.length > 140 ? `${a.error.slice(0, 140)}…` : a.error) : null)),
  ]), 'no deploys yet');
}
