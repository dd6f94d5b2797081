// Builds the panels from API data with textContent only: nothing from the API becomes markup.
import { button, mayDeploy } from './actions.js';

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

// Drain and undrain are offered once the API says whether a node is cordoned (the server has the routes).
export function nodes(list) {
  const drains = list.some((n) => typeof n.cordoned === 'boolean');
  const head = ['node', 'address', 'lease expires', 'reachable', 'CPUs reserved', 'memory reserved', ...(drains ? ['placement'] : [])];
  return table(head, list.map((n) => [
    n.name, el('code', {}, n.ip), n.expired ? no('expired') : until(n.expiresAt),
    n.reachable === null ? el('span', { class: 'muted' }, 'not asked') : n.reachable ? yes('yes') : el('span', { class: 'bad', title: n.error ?? '' }, 'no'),
    capacity(n, 'cpus', (c) => String(Math.round(c * 100) / 100)), capacity(n, 'memory', bytes),
    ...(drains ? [n.cordoned
      ? [el('span', { class: 'warn' }, 'cordoned '), button('undrain', 'undrain', { node: n.name })]
      : [el('span', { class: 'ok' }, 'open '), button('drain', 'drain', { node: n.name })]] : []),
  ]), 'no nodes: no DHCP leases and no static nodes');
}

function reach(a, varnish) {
  if (a.worker) return el('span', { class: 'muted' }, 'worker: not routed');
  const out = [];
  for (const p of a.paths) out.push(el('div', {}, el('a', { href: `${varnish}${p}`, target: '_blank', rel: 'noopener' }, `${varnish}${p}`)));
  for (const h of a.hosts) out.push(el('div', {}, h), el('div', {}, el('code', {}, `curl -H 'Host: ${h}' ${varnish}/`)));
  return out;
}

/** `plan` for an action only when two plans hold an app of that name (the API resolves APP alone otherwise). */
export function planIfNeeded(list, a) {
  return list.filter((b) => b.app === a.app).length > 1 ? a.plan : undefined;
}

export function apps(data, varnish, me) {
  const acts = data.apps.some((a) => mayDeploy(me, a.plan, a.app));
  const rows = data.apps.map((a) => [
    el('strong', {}, a.app), el('span', { class: 'muted' }, a.plan),
    el('span', { class: a.healthy >= a.desired ? 'ok' : a.healthy > 0 ? 'warn' : 'bad' }, `${a.healthy} / ${a.desired}`),
    a.nodes.join(', ') || '-', a.revisions.map((r) => el('code', {}, r)), reach(a, varnish),
    ...(acts ? [mayDeploy(me, a.plan, a.app) ? button('rollback', 'roll back', { app: a.app, plan: planIfNeeded(data.apps, a) }) : ''] : []),
  ]);
  const warn = data.unreachable.map((u) => el('p', { class: 'bad' }, `${u.node} is unreachable: ${u.message}`));
  const head = ['app', 'plan', 'healthy / desired', 'nodes', 'revision', 'reach it through Varnish', ...(acts ? ['act'] : [])];
  return [table(head, rows, 'no plan deployed yet'), ...warn];
}

const runClass = { succeeded: 'ok', failed: 'bad', skipped: 'warn', running: 'muted' };
const when = (iso) => (iso ? iso.replace('T', ' ').slice(0, 19) : '-');

/** Scheduled jobs (GET /api/jobs, runs newest first): schedule, next and last run, and "run now" for who may. */
export function jobs(data, me) {
  const list = data.jobs;
  return table(['job', 'plan', 'schedule (UTC)', 'next', 'last run', ''], list.map((j) => {
    const last = j.runs[0] ?? null;
    return [
      el('strong', {}, j.app), el('span', { class: 'muted' }, j.plan), el('code', {}, j.schedule), when(j.next),
      last ? el('span', { class: runClass[last.state] ?? '', title: last.reason ?? (last.logs ?? []).slice(-3).join('\n') },
        `${when(last.startedAt)} ${last.trigger === 'manual' ? '(run now) ' : ''}${last.state}${typeof last.exitCode === 'number' ? ` exit ${last.exitCode}` : ''}${typeof last.durationMs === 'number' ? ` ${(last.durationMs / 1000).toFixed(1)} s` : ''}`)
        : el('span', { class: 'muted' }, 'never'),
      mayDeploy(me, j.plan, j.app) ? button('run-job', 'run now', { app: j.app, plan: planIfNeeded(list, j) }) : '',
    ];
  }), 'no scheduled jobs');
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
