import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configPath, type Config } from '../config.js';
import { UserError } from '../errors.js';
import { packagePath } from '../paths.js';
import { PlanStore } from '../adapters/store/plans.js';
import { metaFile, repoDir, type GitApp } from './paths.js';
import { planApp } from './plan-edit.js';
import { git } from './run-git.js';

const quote = (s: string): string => `'${s.split("'").join("'\\''")}'`;

/** The post-receive hook: hands the ref lines (stdin) to `cloudmatrix git receive APP`. */
export function hookScript(opts: { node: string; cli: string; config: string; app: string }): string {
  return [
    '#!/bin/sh',
    '# Written by `cloudmatrix git init`: a push to main (or master) builds, pushes and deploys the app.',
    `CLOUDMATRIX_CONFIG=${quote(opts.config)}`,
    'export CLOUDMATRIX_CONFIG',
    `exec ${quote(opts.node)} ${quote(opts.cli)} git receive ${quote(opts.app)}`,
    '',
  ].join('\n');
}

/** Without --plan: the file of the deployed plan that runs the app (the only one: else --plan says which). */
function defaultPlanFile(config: Config, app: string): string {
  const owners = new PlanStore(config.stateDir).list().filter((p) => p.plan.apps.some((a) => a.name === app));
  if (owners.length === 0) throw new UserError(`app "${app}" is in no deployed plan: give --plan PLAN_FILE`);
  if (owners.length > 1) throw new UserError(`app "${app}" is in the deployed plans ${owners.map((o) => o.name).join(', ')}: give --plan PLAN_FILE`);
  return owners[0]!.plan.file;
}

/** Creates (or re-creates the hook of) the bare repository `<stateDir>/git/APP.git`. */
export async function initRepo(config: Config, app: string, plan?: string): Promise<{ dir: string; planFile: string; existed: boolean }> {
  const dir = repoDir(config, app);
  const planFile = resolve(plan ?? defaultPlanFile(config, app));
  if (!existsSync(planFile)) throw new UserError(`${planFile}: no such plan file`);
  planApp(readFileSync(planFile, 'utf8'), planFile, app);
  const existed = existsSync(join(dir, 'HEAD'));
  mkdirSync(dir, { recursive: true });
  await git(['init', '--bare', '--quiet', '--initial-branch=main', dir]);
  const cli = packagePath('bin/cloudmatrix.js');
  const hook = join(dir, 'hooks', 'post-receive');
  writeFileSync(hook, hookScript({ node: process.execPath, cli, config: resolve(configPath()), app }));
  chmodSync(hook, 0o755);
  const meta: GitApp = { app, planFile, createdAt: new Date().toISOString() };
  writeFileSync(metaFile(config, app), `${JSON.stringify(meta, null, 2)}\n`);
  return { dir, planFile, existed };
}
