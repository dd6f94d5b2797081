// Actions from the dashboard: each asks for confirmation in the page's own dialog, then calls the
// same API route as the CLI and shows its progress as it comes (the job's server-sent events,
// read with fetch: EventSource cannot send the token). Buttons are only drawn for a role that may
// act; the API checks again.
import { el } from './render.js';
import { frames } from './sse.js';

let headers = () => ({});
let afterAction = () => undefined;
let pending = null;

/** Whether the signed-in user may deploy (roll back, run a job of) this app: admins, and deployers of it. */
export function mayDeploy(me, plan, app) {
  if (me.role === 'admin') return true;
  return me.role === 'deployer' && (me.apps ?? []).some((e) => e === app || e === `${plan}/${app}`);
}

/** `PLAN/APP`, URL-encoded as one segment: the API reads it as that plan's app. */
export const appSegment = (plan, app) => encodeURIComponent(plan ? `${plan}/${app}` : app);

function dialog() {
  return document.getElementById('confirm');
}

/** Opens the confirmation dialog; resolves true on the OK button, false on cancel or Escape. */
export function confirmAction(title, text, ok) {
  const d = dialog();
  d.querySelector('#confirm-title').textContent = title;
  d.querySelector('#confirm-text').textContent = text;
  d.querySelector('#confirm-ok').textContent = ok;
  pending?.(false);
  return new Promise((resolve) => {
    pending = (v) => {
      pending = null;
      if (d.open) d.close();
      resolve(v);
    };
    d.showModal();
  });
}

function out() {
  return document.getElementById('activity-out');
}

function say(text, cls = '') {
  const o = out();
  document.getElementById('activity').closest('section').hidden = false;
  const stick = o.scrollTop + o.clientHeight >= o.scrollHeight - 4;
  o.append(el('div', { class: `line ${cls}` }, text));
  while (o.childElementCount > 2000) o.firstElementChild.remove();
  if (stick) o.scrollTop = o.scrollHeight;
}

function setState(text, cls) {
  const s = document.getElementById('activity-state');
  s.textContent = text;
  s.className = cls;
  s.dataset.state = cls;
}

/**
 * What a job ended with, in a word: a deploy's or rollback's `result`, a drain's `ok` (and what is
 * left on the node), a job run's `state` and exit code.
 */
function outcome(report) {
  if (typeof report.result === 'string') return report.result;
  if (typeof report.ok === 'boolean') return report.ok ? 'ok' : `failed${report.left?.length ? ` (${report.left.length} container(s) left on ${report.node})` : ''}`;
  if (typeof report.state === 'string') return `${report.state}${typeof report.exitCode === 'number' ? ` (exit ${report.exitCode})` : ''}`;
  return 'done';
}

/** Follows a job's events (`progress` lines, then `done` or `error`) until it ends. */
async function follow(path, label) {
  const res = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error ?? `HTTP ${res.status}`);
  let ended = null;
  for await (const { event, data } of frames(res)) {
    if (event === 'progress') say(data);
    else if (event === 'done') {
      const report = JSON.parse(data);
      ended = outcome(report);
      say(`${label}: ${ended}${report.durationMs ? ` in ${(report.durationMs / 1000).toFixed(1)} s` : ''}`, ended === 'ok' || ended.startsWith('succeeded') ? 'ok' : 'err');
    } else if (event === 'error') {
      ended = 'failed';
      say(`${label}: ${JSON.parse(data).message}`, 'err');
    }
  }
  return ended ?? 'ended';
}

/**
 * Asks, then POSTs `path` with `body`; a 202 that names its `events` is followed live, any other
 * answer is shown as it is. `data-state` on #activity-state says where it is (the test waits on it).
 */
export async function act({ title, text, ok, path, body = {}, label }) {
  if (!(await confirmAction(title, text, ok))) return;
  setState(`${label}: starting`, 'running');
  say(`— ${label}`, 'muted');
  try {
    const res = await fetch(path, { method: 'POST', headers: { ...headers(), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
    if (answer.rollback) say(answer.rollback);
    if ('lifted' in answer) say(answer.lifted ? `${answer.node}: cordon lifted, it takes new replicas again` : `${answer.node} was not cordoned`);
    const result = answer.events ? await follow(answer.events, label) : 'ok';
    setState(`${label}: ${result}`, result === 'ok' || result.startsWith('succeeded') ? 'ok' : 'bad');
  } catch (err) {
    say(`${label}: ${err.message}`, 'err');
    setState(`${label}: ${err.message}`, 'bad');
  }
  afterAction();
}

/** One click handler for every action button (they are redrawn on each refresh). */
export function initActions(root, authHeaders, refresh) {
  headers = authHeaders;
  afterAction = refresh;
  const d = dialog();
  d.querySelector('#confirm-ok').addEventListener('click', () => pending?.(true));
  d.querySelector('#confirm-cancel').addEventListener('click', () => pending?.(false));
  d.addEventListener('close', () => pending?.(false));
  root.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const { action, app, plan, node } = b.dataset;
    const who = plan ? `${plan}/${app}` : app;
    if (action === 'rollback') {
      act({ title: `Roll back ${who}?`, text: `${who} goes back to its previous revision from the history, with the same health-gated switch as a deploy.`, ok: 'Roll back', path: `/api/apps/${appSegment(plan, app)}/rollback`, label: `rollback ${who}` });
    } else if (action === 'drain' || action === 'undrain') {
      const drain = action === 'drain';
      act({
        title: `${drain ? 'Drain' : 'Undrain'} ${node}?`,
        text: drain ? `Every replica on ${node} moves to other nodes (start, health-gate, switch, stop) and ${node} gets nothing new until undrained.` : `${node} takes new replicas again.`,
        ok: drain ? 'Drain' : 'Undrain', path: `/api/nodes/${encodeURIComponent(node)}/${action}`, body: drain ? { moveStateful: false } : {}, label: `${action} ${node}`,
      });
    } else if (action === 'run-job') {
      act({ title: `Run ${who} now?`, text: `One run of the job ${who} starts now, besides its schedule.`, ok: 'Run now', path: `/api/jobs/${appSegment(plan, app)}/run`, label: `run ${who}` });
    }
  });
}

/** A small action button; `data` become data-* attributes (what the click handler reads). */
export function button(action, label, data) {
  const attrs = { type: 'button', class: 'act', 'data-action': action };
  for (const [k, v] of Object.entries(data)) if (v !== undefined && v !== null) attrs[`data-${k}`] = v;
  return el('button', attrs, label);
}
