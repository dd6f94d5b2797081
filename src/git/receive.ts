import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import { Forbidden, messageOf } from '../errors.js';
import { writeAtomic } from '../adapters/store/atomic.js';
import { liveLockHolder } from '../adapters/store/lock.js';
import { deployPlan, type DeployOptions, type DeployReport } from '../deploy/deploy.js';
import { UserStore } from '../adapters/store/users.js';
import { seesAll } from '../model/users/permissions.js';
import { GIT_USER_ENV } from '../users/actor.js';
import { refuseForeignApps } from '../users/authorize.js';
import { createImage } from '../images/create.js';
import { installImage } from '../images/install.js';
import { readGitApp, repoDir } from './paths.js';
import { planApp, setAppImage } from './plan-edit.js';
import { deployRef, parseRefLines } from './refs.js';
import { exportTree } from './run-git.js';

const LOCK_WAIT_MS = 5 * 60_000;
type Out = (line: string) => void;

/**
 * A push through `git shell` deploys as its user: the plan file may not add, change or remove
 * another app of theirs (an admin's edit not yet deployed, say); checked under the deploy lock.
 */
function pusherGuard(config: Config): Pick<DeployOptions, 'authorize'> {
  const name = process.env[GIT_USER_ENV];
  const who = name ? new UserStore(config.stateDir).get(name) : undefined;
  if (!name) return {};
  if (!who) return { authorize: () => { throw new Forbidden(`user ${name} is gone`); } };
  return seesAll(who) ? {} : { authorize: (deployed, next, plan) => refuseForeignApps(who, deployed, next, plan) };
}

/** Build output comes in chunks: hand it on line by line, without blank ones. */
function byLine(out: Out): (chunk: string) => void {
  return (chunk) => chunk.split(/\r?\n/).map((l) => l.trimEnd()).filter(Boolean).forEach((l) => out(`  ${l}`));
}

/** A push should not fail because another deploy runs: wait for the lock, bounded. */
async function waitForLock(config: Config, out: Out): Promise<void> {
  const until = Date.now() + LOCK_WAIT_MS;
  for (let said = false; Date.now() < until; said = true) {
    const h = liveLockHolder(join(config.stateDir, 'deploy.lock'));
    if (!h) return;
    if (!said) out(`waiting for the deploy lock: ${h.command} (pid ${h.pid}) holds it since ${h.startedAt}`);
    await sleep(1000);
  }
}

export function reachLines(config: Config, spec: { hosts: string[]; paths: string[] }): string[] {
  const base = `http://${config.varnish.listen}`;
  return [...spec.hosts.map((h) => `  curl -H 'Host: ${h}' ${base}/`), ...spec.paths.map((p) => `  curl ${base}${p}`)];
}

/**
 * What post-receive runs: export the pushed tree, build and push the image tagged with the
 * short commit, set it as the app's image in the plan, deploy. On failure the plan file is put
 * back, so it keeps describing what runs. Returns false when nothing new is running.
 */
export async function receive(config: Config, app: string, refText: string, print: Out): Promise<boolean> {
  // A log consumer that throws must never break a deploy in the middle.
  const out: Out = (l) => {
    try {
      print(l);
    } catch {}
  };
  const meta = readGitApp(config, app);
  const update = deployRef(parseRefLines(refText));
  if (!update) {
    out('cloudmatrix: nothing to deploy: only a push to main (or master) deploys');
    return true;
  }
  const tag = update.new.slice(0, 12);
  const image = `cloud/${app}:${tag}`;
  out(`cloudmatrix: ${app}: building ${update.ref.replace('refs/heads/', '')} at ${tag}`);
  const work = mkdtempSync(join(tmpdir(), `cmx-git-${app}-`));
  let stage = 'build';
  let before: string | null = null;
  try {
    await exportTree(repoDir(config, app), update.new, work);
    const built = await createImage({ appDir: work, name: `${app}:${tag}`, config, progress: byLine(out) });
    stage = 'push';
    out(`cloudmatrix: pushing ${built.ref} to the registry`);
    const pushed = await installImage({ name: `${app}:${tag}`, config, progress: byLine(out) });
    out(`cloudmatrix: ${pushed.ref} is ${pushed.digest}`);
    stage = 'deploy';
    const text = readFileSync(meta.planFile, 'utf8');
    const edited = setAppImage(text, meta.planFile, app, image);
    await waitForLock(config, out);
    before = text;
    writeAtomic(meta.planFile, edited);
    out(`cloudmatrix: ${meta.planFile}: apps.${app}.image = ${image}; deploying`);
    const report: DeployReport = await deployPlan(config, { planFile: meta.planFile, log: (l) => out(`  ${l}`), ...pusherGuard(config) });
    const mine = report.apps.find((a) => a.app === app);
    if (report.result === 'failed' || mine?.result === 'failed') throw new Error(mine?.error ?? `deploy ${report.id} failed`);
    before = null;
    out(`cloudmatrix: ${app} ${tag} is live (deploy ${report.id}, ${report.result}). Reach it through Varnish:`);
    for (const l of reachLines(config, planApp(edited, meta.planFile, app))) out(l);
    return true;
  } catch (err) {
    if (before !== null) writeAtomic(meta.planFile, before);
    out(`cloudmatrix: ${stage} FAILED: ${messageOf(err)}`);
    out(`cloudmatrix: ${app} was not deployed; what runs is unchanged${before !== null ? ` and ${meta.planFile} is as it was` : ''}`);
    out('cloudmatrix: the commit is in the repository all the same (post-receive cannot refuse a push): fix it and push again');
    return false;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
