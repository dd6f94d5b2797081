// The Events panel (admins): the cloud's event log (GET /api/events as server-sent events),
// newest first, live: deploys, rollbacks, scalings, drains' moves, failed jobs as they happen.
// Each deploy event also redraws the other panels. Hidden when the server has no event log
// (404) or the user may not read it (403).
import { el } from './render.js';
import { frames } from './sse.js';

const KEEP = 30;
const RETRY_MS = 5000;
let controller = null;

function row(e) {
  const bad = /failed|unreachable/.test(e.type);
  return el('div', { class: `line${bad ? ' err' : ''}`, 'data-type': e.type },
    `${e.time.replace('T', ' ').slice(0, 19)}  ${e.type}  ${e.message}`);
}

/** Follows the event log into `out` until stop(); reconnects (bounded wait) after a drop, from the last id. */
export async function follow(out, section, headers, onDeploy) {
  stop();
  const mine = (controller = new AbortController());
  let last = null;
  while (controller === mine) {
    try {
      const res = await fetch('/api/events?limit=' + KEEP, {
        headers: { ...headers(), Accept: 'text/event-stream', ...(last ? { 'Last-Event-ID': last } : {}) }, signal: mine.signal, cache: 'no-store',
      });
      if (res.status === 404 || res.status === 403) return void (section.hidden = true);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      section.hidden = false;
      for await (const f of frames(res)) {
        const e = JSON.parse(f.data);
        last = e.id;
        out.prepend(row(e));
        while (out.childElementCount > KEEP) out.lastElementChild.remove();
        if (/^(deploy|autoscale)\./.test(e.type)) onDeploy();
      }
    } catch (err) {
      if (err.name === 'AbortError') return;
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

export function stop() {
  controller?.abort();
  controller = null;
}
