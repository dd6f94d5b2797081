// Per app, one SVG chart of the last hour from GET /api/series: requests per second and 5xx per
// second on the left scale, healthy replicas as a step line on the right one, deploys as marks.
// Plain SVG: a few polylines do not earn a charting library. The drawn values are also on the
// figure as data-* attributes (the browser test reads them, not pixels).
import { el } from './render.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 720;
const H = 150;
const PAD = { left: 44, right: 30, top: 8, bottom: 18 };
const RECENT = 12;

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) e.append(c);
  return e;
}

/** 1, 2, 5, 10, 20, 50...: the smallest at or above n. */
function niceMax(n) {
  if (!(n > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= n);
}

const fmt = (v) => (v === null || v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1));

/** A path through the points; a null value breaks the line (a gap is drawn as one). */
function line(points, x, y, step = false) {
  let d = '';
  let prev = null;
  for (const [t, v] of points) {
    if (v === null) {
      prev = null;
      continue;
    }
    if (prev === null) d += `M${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    else if (step) d += `H${x(t).toFixed(1)}V${y(v).toFixed(1)}`;
    else d += `L${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    prev = v;
  }
  return d;
}

function chart(a, view) {
  const from = view.now - view.keepMs;
  const x = (t) => PAD.left + ((t - from) / view.keepMs) * (W - PAD.left - PAD.right);
  const rps = a.points.map((p) => [p[0], p[1]]);
  const errors = a.points.map((p) => [p[0], p[2]]);
  const replicas = a.points.map((p) => [p[0], p[3]]);
  const top = niceMax(Math.max(0, ...a.points.flatMap((p) => [p[1] ?? 0, p[2] ?? 0])));
  const topReplicas = Math.max(1, ...a.points.map((p) => p[3] ?? 0));
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const yr = (v) => H - PAD.bottom - (v / topReplicas) * (H - PAD.top - PAD.bottom);
  const marks = view.deploys.filter((d) => d.plan === a.plan && d.apps.includes(a.app)).map((d) => svg('g', { class: `mark ${d.result}` },
    svg('title', {}, `${d.kind} ${d.id}: ${d.result} at ${new Date(d.at).toLocaleTimeString()}`),
    svg('line', { x1: x(d.at), x2: x(d.at), y1: PAD.top, y2: H - PAD.bottom }),
  ));
  const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `${a.app}: requests, 5xx and replicas over the last hour` },
    svg('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom }),
    svg('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end' }, `${fmt(top)}/s`),
    svg('text', { class: 'tick', x: PAD.left - 4, y: H - PAD.bottom, 'text-anchor': 'end' }, '0'),
    svg('text', { class: 'tick replicas', x: W - PAD.right + 4, y: PAD.top + 8 }, String(topReplicas)),
    svg('text', { class: 'tick', x: PAD.left, y: H - 4 }, `-${Math.round(view.keepMs / 60000)} min`),
    svg('text', { class: 'tick', x: W - PAD.right, y: H - 4, 'text-anchor': 'end' }, 'now'),
    ...marks,
    svg('path', { class: 'series replicas', d: line(replicas, x, yr, true) }),
    svg('path', { class: 'series rps', d: line(rps, x, y) }),
    svg('path', { class: 'series errors', d: line(errors, x, y) }),
  );
  const last = a.points.at(-1) ?? [null, null, null, null];
  const recent = (i) => a.points.slice(-RECENT).map((p) => (p[i] === null ? '' : p[i])).join(',');
  return el('figure', {
    class: 'traffic', 'data-id': a.id, 'data-app': a.app, 'data-plan': a.plan, 'data-points': a.points.length,
    'data-rps-recent': recent(1), 'data-errors-recent': recent(2), 'data-replicas-last': last[3] ?? '', 'data-deploys': marks.length,
  },
  el('figcaption', {},
    el('strong', {}, a.app), ' ', el('span', { class: 'muted' }, a.plan), ' ',
    el('span', { class: 'legend rps' }, `${fmt(last[1])} req/s`), ' ',
    el('span', { class: 'legend errors' }, view.errorsCounted ? `${fmt(last[2])} 5xx/s` : '5xx not counted'), ' ',
    el('span', { class: 'legend replicas' }, `${fmt(last[3])} healthy`), ' ',
    el('span', { class: 'legend mark' }, `${marks.length} deploy${marks.length === 1 ? '' : 's'}`)),
  g);
}

/** The Traffic panel's content from GET /api/series. */
export function traffic(view) {
  if (view.apps.length === 0) return el('div', { class: 'empty' }, 'no app deployed yet (points come every few seconds once one is)');
  return el('div', { class: 'charts', 'data-step-ms': view.stepMs }, view.apps.map((a) => chart(a, view)));
}
