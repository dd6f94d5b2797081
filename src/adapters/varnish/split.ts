import { EnvError } from '../../errors.js';
import { leftovers, planPrepare, planSwitch, type LoadedVcl } from '../../model/vcl-switch.js';
import type { AppVcl, SplitVcl } from '../../model/vcl-split.js';

// The switch to a split VCL (one VCL per app under its label, a dispatch VCL on top) on Varnish
// 5.0+, in an order where a failure leaves the running routing as it was: every new app VCL and
// the new dispatch VCL compile before anything routes to them, a label exists before a dispatch
// VCL naming it compiles (Varnish checks labels at compile time), and a label goes only when no
// dispatch VCL, not even a discarded one still busy, refers to it.

export interface LabelAdmin {
  vclInline(name: string, vcl: string): Promise<void>;
  vclUse(name: string): Promise<void>;
  vclDiscard(name: string): Promise<void>;
  vclLabel(label: string, name: string): Promise<void>;
  vclList(): Promise<LoadedVcl[]>;
}

export type SplitResult = { changed: boolean; name: string; previous?: string; discarded: string[]; warnings: string[]; apps: string[] };

/**
 * Compiles one app's VCL ahead of its switch (nothing routes to it: no label names it yet) and
 * returns its name; a VCL of the same hash already loaded is used as it is.
 */
export async function prepareApp(admin: LabelAdmin, app: AppVcl, opts: { now?: () => number } = {}): Promise<{ name: string; loaded: boolean }> {
  const step = planPrepare(await admin.vclList(), app, (opts.now ?? Date.now)());
  if (step.load) {
    try {
      await admin.vclInline(step.name, app.vcl);
    } catch (err) {
      (err as Error).message = `app ${app.app} (label ${app.label}): ${(err as Error).message}`;
      throw err;
    }
  }
  return { name: step.name, loaded: step.load };
}

/** `keep`: app VCLs compiled ahead (prepareApp) for switches still to come, never discarded as leftovers. */
export async function reloadSplit(
  admin: LabelAdmin, split: SplitVcl, opts: { now?: () => number; keep?: ReadonlySet<string> } = {},
): Promise<SplitResult> {
  const list = await admin.vclList();
  const active = list.find((v) => v.status === 'active')?.name;
  const plan = planSwitch(list, split, (opts.now ?? Date.now)());
  const result: SplitResult = { changed: false, name: plan.use ?? active ?? '', discarded: [], warnings: [], apps: plan.changed };
  if (plan.loads.length === 0 && plan.labels.length === 0 && plan.use === null) {
    await cleanUp(admin, list, split, result, false, opts.keep);
    return result;
  }

  const undo: string[] = [];
  const rollBack = async () => {
    for (const name of undo.reverse()) await admin.vclDiscard(name).catch(() => undefined);
  };
  try {
    for (const l of plan.loads) {
      try {
        await admin.vclInline(l.name, l.vcl);
      } catch (err) {
        (err as Error).message = `app ${l.app} (label ${l.label}): ${(err as Error).message}`;
        throw err;
      }
      undo.push(l.name);
    }
    // New labels route nothing yet; they must exist before the dispatch VCL that names them compiles.
    for (const l of plan.labels.filter((x) => x.fresh)) {
      await admin.vclLabel(l.label, l.name);
      undo.push(l.label);
    }
    if (plan.top) {
      await admin.vclInline(plan.top.name, plan.top.vcl);
      undo.push(plan.top.name);
    }
  } catch (err) {
    await rollBack();
    throw err;
  }
  // From here on traffic moves: each label move switches one app at once.
  for (const l of plan.labels.filter((x) => !x.fresh)) await admin.vclLabel(l.label, l.name);
  if (plan.use) await admin.vclUse(plan.use);
  result.changed = true;
  result.previous = plan.use ? active : undefined;
  const after = plan.use ? list.map((v) => ({ ...v, status: v.name === plan.use ? 'active' : v.status === 'active' ? 'available' : v.status })) : list;
  await cleanUp(admin, after, split, result, true, opts.keep);
  return result;
}

/**
 * Discards our VCLs that route no more, then (from a list read again when anything changed, since
 * discards and label moves change the references) labels and app VCLs nothing needs. Failures are warnings.
 */
async function cleanUp(admin: LabelAdmin, list: LoadedVcl[], split: SplitVcl, result: SplitResult, relist: boolean, keepApps?: ReadonlySet<string>): Promise<void> {
  const keep = new Set(split.apps.map((a) => a.label));
  const discard = async (name: string) => {
    try {
      await admin.vclDiscard(name);
      result.discarded.push(name);
    } catch (err) {
      result.warnings.push(`could not discard ${name}: ${(err as Error).message}`);
    }
  };
  const first = leftovers(list, keep, keepApps);
  for (const name of first.routers) await discard(name);
  let now = list;
  if (relist || first.routers.length > 0) {
    try {
      now = await admin.vclList();
    } catch (err) {
      result.warnings.push(`could not list VCLs after the switch: ${(err as EnvError).message}`);
      return;
    }
  }
  const rest = leftovers(now, keep, keepApps);
  for (const name of rest.labels) await discard(name);
  for (const name of rest.apps) await discard(name);
}
