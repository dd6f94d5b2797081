// The dashboard: asks for the API token once (or takes it from #token=… once), keeps it in
// localStorage, and re-renders every few seconds from the JSON API.
import * as render from './render.js';
import * as logs from './logs.js';
import { traffic } from './chart.js';
import { initActions } from './actions.js';
import * as events from './events.js';

const REFRESH_MS = 5000;
const KEY = 'cloudmatrix.token';
const $ = (id) => document.getElementById(id);
let timer = null;
let following = false;
let soon = null;

const auth = () => ({ Authorization: `Bearer ${localStorage.getItem(KEY)}` });

function takeTokenFromHash() {
  const m = /^#token=([^&]+)$/.exec(location.hash);
  if (!m) return;
  localStorage.setItem(KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname);
}

function showLogin(message) {
  clearTimeout(timer);
  logs.stop();
  events.stop();
  following = false;
  $('panels').hidden = true;
  $('forget').hidden = true;
  $('who').textContent = '';
  $('login').hidden = false;
  $('status').textContent = message;
  $('token').focus();
}

async function get(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${localStorage.getItem(KEY)}` }, cache: 'no-store' });
  if (res.status === 401) throw Object.assign(new Error('the token was refused'), { unauthorized: true });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(`${path}: ${body.error ?? `HTTP ${res.status}`}`), { status: res.status });
  return body;
}

function fill(id, content) {
  $(id).replaceChildren(...[content].flat());
}

async function refresh() {
  clearTimeout(timer);
  if (document.hidden) return; // visibilitychange starts it again
  const panels = [
    ['nodes', '/api/nodes', (d) => render.nodes(d.nodes)],
    ['traffic', '/api/series', (d) => traffic(d), 'optional'],
    ['apps', '/api/apps', (d, info, me) => (logs.offer(d.apps), render.apps(d, info.varnish, me))],
    ['jobs', '/api/jobs', (d, _info, me) => render.jobs(d, me), 'optional'],
    ['routes', '/api/routes', (d) => render.routes(d.routes)],
    ['deploys', '/api/deploys?limit=15', (d) => render.deploys(d.deploys)],
  ];
  try {
    const [info, me] = await Promise.all([get('/api/info'), get('/api/me')]);
    // Nodes are an admin's; everyone else sees the apps they may read (the API cuts the lists).
    const shown = panels.filter(([id]) => id !== 'nodes' || me.role === 'admin');
    $('nodes').closest('section').hidden = me.role !== 'admin';
    $('who').textContent = render.who(me);
    const results = await Promise.allSettled(shown.map(([, path]) => get(path)));
    const refused = results.find((r) => r.status === 'rejected' && r.reason.unauthorized);
    if (refused) throw refused.reason;
    results.forEach((r, i) => {
      const [id, , draw, optional] = shown[i];
      // A panel whose route this server does not have (404), or this user may not read (403), is left out, not faked.
      const absent = optional && r.status === 'rejected' && (r.reason.status === 404 || r.reason.status === 403);
      $(id).closest('section').hidden = absent;
      if (!absent) fill(id, r.status === 'fulfilled' ? draw(r.value, info, me) : render.el('p', { class: 'bad' }, r.reason.message));
    });
    $('login').hidden = true;
    $('panels').hidden = false;
    $('forget').hidden = false;
    $('status').textContent = `updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_MS / 1000} s`;
    if (!following && me.role === 'admin') {
      following = true;
      // A deploy's events come in bursts: one redraw for a burst.
      events.follow($('events'), $('events').closest('section'), auth, () => {
        clearTimeout(soon);
        soon = setTimeout(refresh, 500);
      });
    }
  } catch (err) {
    if (err.unauthorized) return showLogin('the token was refused: paste your API token');
    $('status').textContent = `cannot reach the API: ${err.message} (retrying)`;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  localStorage.setItem(KEY, $('token').value.trim());
  $('token').value = '';
  refresh();
});
$('forget').addEventListener('click', () => {
  localStorage.removeItem(KEY);
  showLogin('token forgotten');
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh();
});

logs.initLogs($('logs'), () => ({ Authorization: `Bearer ${localStorage.getItem(KEY)}` }));
initActions(document.body, auth, () => refresh());
takeTokenFromHash();
if (localStorage.getItem(KEY)) refresh();
else showLogin('paste your API token to see the cloud');
