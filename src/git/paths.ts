import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';

/** What `git init` records next to the repository: which plan file a push edits and deploys. */
export interface GitApp {
  app: string;
  planFile: string;
  createdAt: string;
}

const APP = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function checkAppName(app: string): string {
  if (!APP.test(app)) throw new UserError(`"${app}": an app name is 1-63 of a-z 0-9 _ -, starting with a letter or digit`);
  return app;
}

export const gitRoot = (config: Config): string => join(config.stateDir, 'git');
export const repoDir = (config: Config, app: string): string => join(gitRoot(config), `${checkAppName(app)}.git`);
export const metaFile = (config: Config, app: string): string => join(gitRoot(config), `${checkAppName(app)}.json`);

export function readGitApp(config: Config, app: string): GitApp {
  const file = metaFile(config, app);
  if (!existsSync(file)) throw new UserError(`no git repository for "${app}": run cloudmatrix git init ${app} --plan PLAN`);
  return JSON.parse(readFileSync(file, 'utf8')) as GitApp;
}
