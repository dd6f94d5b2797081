import { LABEL, type AppVcl, type SplitVcl } from './vcl-split.js';

// What a switch to a split VCL (vcl-split.ts) must do on a running Varnish, decided from its
// `vcl.list` alone: no state of ours is kept anywhere else. Pure; the adapter runs the steps.

/** One `vcl.list` entry: labels have state "label" and name their VCL in `label`. */
export type LoadedVcl = { name: string; status: string; state: string; busy: number; label?: string; refs?: number; labels?: number };

/** The single VCL (Varnish 4.1, or labels off): `cmx_<ms>_<hash8>`. */
export const SINGLE = /^cmx_(\d+)_([0-9a-f]{8})$/;
/** The dispatch VCL: `cmxt_<ms>_<hash8>`. */
export const TOP = /^cmxt_(\d+)_([0-9a-f]{8})$/;
/** An app's VCL: `cmxa_<ms>_<hash8>`. */
export const APP = /^cmxa_(\d+)_([0-9a-f]{8})$/;

const hashOf = (re: RegExp, name: string | undefined): string | undefined => (name === undefined ? undefined : re.exec(name)?.[2]);
const live = (v: LoadedVcl) => v.status !== 'discarded';
export const isLabel = (v: LoadedVcl): boolean => v.state === 'label';

export type SwitchPlan = {
  /** app VCLs to compile (vcl.inline), with the name each gets */
  loads: { app: string; label: string; name: string; vcl: string }[];
  /** `vcl.label LABEL NAME`: new labels first (nothing routes to them yet), then the moves */
  labels: { label: string; name: string; fresh: boolean }[];
  /** the dispatch VCL to compile, or null when one with the same hash is loaded */
  top: { name: string; vcl: string } | null;
  /** the dispatch VCL to `vcl.use`, or null when it is active already */
  use: string | null;
  /** apps whose VCL changes (new ones included), for the log */
  changed: string[];
};

/**
 * Names `<prefix>_<time>_<hash>` from `now` on, never one in `list` (even discarded and still busy)
 * nor one given before.
 */
function freshNames(list: readonly LoadedVcl[], now: number): (prefix: string, hash: string) => string {
  const taken = new Set(list.map((v) => v.name));
  return (prefix, hash) => {
    let t = now;
    while (taken.has(`${prefix}_${t}_${hash}`)) t++;
    const name = `${prefix}_${t}_${hash}`;
    taken.add(name);
    return name;
  };
}

/** hash -> the first live app VCL of that hash in `list` (a switch and a compile ahead pick the same one). */
function loadedApps(list: readonly LoadedVcl[]): Map<string, string> {
  const byHash = new Map<string, string>();
  for (const v of list) {
    const hash = live(v) && !isLabel(v) ? hashOf(APP, v.name) : undefined;
    if (hash && !byHash.has(hash)) byHash.set(hash, v.name);
  }
  return byHash;
}

/**
 * The steps from what is loaded to `split`. An app whose label already points at a VCL of the
 * same hash is left alone (its probes keep their state); one whose VCL of that hash is loaded but
 * not labelled (an earlier switch that failed later) is labelled without compiling it again.
 * `now` names new VCLs; a name in use (even discarded and still busy) is never taken twice.
 */
export function planSwitch(list: readonly LoadedVcl[], split: SplitVcl, now: number): SwitchPlan {
  const fresh = freshNames(list, now);
  const byName = new Map(list.filter(live).map((v) => [v.name, v]));
  const loadedApp = loadedApps(list);

  const plan: SwitchPlan = { loads: [], labels: [], top: null, use: null, changed: [] };
  const moves: SwitchPlan['labels'] = [];
  for (const a of split.apps) {
    const current = byName.get(a.label);
    const target = current && isLabel(current) ? current.label : undefined;
    if (hashOf(APP, target) === a.hash) continue;
    plan.changed.push(a.app);
    let name = loadedApp.get(a.hash);
    if (!name) {
      name = fresh('cmxa', a.hash);
      plan.loads.push({ app: a.app, label: a.label, name, vcl: a.vcl });
    }
    (current ? moves : plan.labels).push({ label: a.label, name, fresh: !current });
  }
  plan.labels.push(...moves);

  const active = list.find((v) => v.status === 'active');
  if (hashOf(TOP, active?.name) !== split.top.hash) {
    const loaded = list.find((v) => live(v) && v.status !== 'active' && hashOf(TOP, v.name) === split.top.hash);
    if (loaded) plan.use = loaded.name;
    else {
      plan.top = { name: fresh('cmxt', split.top.hash), vcl: split.top.vcl };
      plan.use = plan.top.name;
    }
  }
  return plan;
}

/**
 * What compiling one app's VCL ahead of its switch takes (while its new containers start): nothing
 * when a live VCL of that hash is loaded already (labelled or not), else its load under a fresh
 * name. The switch then finds it by its hash and only labels it (planSwitch).
 */
export function planPrepare(list: readonly LoadedVcl[], app: Pick<AppVcl, 'hash'>, now: number): { name: string; load: boolean } {
  const loaded = loadedApps(list).get(app.hash);
  return loaded ? { name: loaded, load: false } : { name: freshNames(list, now)('cmxa', app.hash), load: true };
}

/**
 * What to discard after a switch, in order: our VCLs that route no more (single and dispatch
 * VCLs but the active one); then our labels the split does not use and that no VCL refers to
 * (`refs` counts the dispatch VCLs holding one, discarded ones still busy included: discarding a
 * label before they are gone is not safe); then app VCLs that no label keeps and that are not
 * in `keepApps` (compiled ahead for a switch still to come). A label still referred to is left
 * for a later switch.
 */
export function leftovers(
  list: readonly LoadedVcl[], keepLabels: ReadonlySet<string>, keepApps: ReadonlySet<string> = new Set(),
): { routers: string[]; labels: string[]; apps: string[] } {
  const mine = list.filter((v) => live(v) && v.status !== 'active');
  const routers = mine.filter((v) => !isLabel(v) && (SINGLE.test(v.name) || TOP.test(v.name))).map((v) => v.name);
  const labels = mine.filter((v) => isLabel(v) && LABEL.test(v.name) && !keepLabels.has(v.name) && !(v.refs ?? 0)).map((v) => v.name);
  const going = new Set(labels);
  const held = new Set(list.filter((v) => live(v) && isLabel(v) && !going.has(v.name) && v.label).map((v) => v.label!));
  const apps = mine.filter((v) => !isLabel(v) && APP.test(v.name) && !held.has(v.name) && !keepApps.has(v.name)).map((v) => v.name);
  return { routers, labels, apps };
}
