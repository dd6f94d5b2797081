// The logs panel: pick an app, see its replicas' last lines, and follow them while it stays
// picked. EventSource cannot send the token, so the SSE answer is read with fetch.
import { el } from './render.js';
import { frames } from './sse.js';

const TAIL = 200;
const KEEP = 1000;
let controller = null;
let current = '';
let headers = () => ({});

function append(out, node) {
  const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
  out.append(node);
  while (out.childElementCount > KEEP) out.firstElementChild.remove();
  if (stick) out.scrollTop = out.scrollHeight;
}

async function follow(app, out, state) {
  controller?.abort();
  out.replaceChildren();
  current = app;
  if (!app) return void (state.textContent = 'pick an app to see its logs');
  const mine = (controller = new AbortController());
  state.textContent = `following ${app} (last ${TAIL} lines of each replica first)`;
  try {
    const res = await fetch(`/api/apps/${encodeURIComponent(app)}/logs?follow=1&tail=${TAIL}`, { headers: headers(), signal: mine.signal, cache: 'no-store' });
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error ?? `HTTP ${res.status}`);
    for await (const f of frames(res)) {
      const d = JSON.parse(f.data);
      if (f.event === 'line') append(out, el('div', { class: d.stream === 'stderr' ? 'line err' : 'line', title: d.time }, `${d.node}/${d.container} | ${d.text}`));
      else if (f.event === 'note') append(out, el('div', { class: 'line muted' }, `— ${d.message}`));
    }
    if (controller === mine) state.textContent = `${app}: the stream ended`;
  } catch (err) {
    if (controller === mine && err.name !== 'AbortError') state.textContent = `${app}: ${err.message}`;
  }
}

/** Sets up the panel in `root`; `authHeaders` gives the API token's header. */
export function initLogs(root, authHeaders) {
  headers = authHeaders;
  const pick = el('select', { id: 'logs-app', 'aria-label': 'app' }, el('option', { value: '' }, '(no app)'));
  const state = el('span', { class: 'muted' }, 'pick an app to see its logs');
  const out = el('pre', { id: 'logs-out', class: 'logs' });
  pick.addEventListener('change', () => follow(pick.value, out, state));
  root.replaceChildren(el('div', { class: 'logs-bar' }, pick, state), out);
}

/** The apps to pick from, after each refresh (the picked one stays, and stays followed). */
export function offer(apps) {
  const pick = document.getElementById('logs-app');
  if (!pick) return;
  // PLAN/APP where two plans (staging, production) each have an app of that name, else APP.
  const shared = (a) => apps.some((b) => b.app === a.app && b.plan !== a.plan);
  const names = [...new Set(apps.map((a) => (shared(a) ? `${a.plan}/${a.app}` : a.app)))].sort();
  const have = [...pick.options].slice(1).map((o) => o.value);
  if (names.join('\n') === have.join('\n')) return;
  pick.replaceChildren(el('option', { value: '' }, '(no app)'), ...names.map((n) => el('option', { value: n }, n)));
  pick.value = names.includes(current) ? current : '';
}

/** Stops following (the token was forgotten or refused). */
export function stop() {
  controller?.abort();
  controller = null;
}
