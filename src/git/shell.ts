import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configPath, type Config } from '../config.js';
import { EnvError, Forbidden } from '../errors.js';
import { UserStore } from '../adapters/store/users.js';
import { parseGitCommand } from '../model/users/git-command.js';
import { badUserName } from '../model/users/names.js';
import { can } from '../model/users/permissions.js';
import { GIT_USER_ENV } from '../users/actor.js';
import { markUsed } from '../users/users.js';
import { repoDir } from './paths.js';
import { cleanEnv } from './run-git.js';

/** What the git account's forced command may run, decided before anything runs. */
export function gitShellDecision(config: Config, store: UserStore, user: string, original: string | undefined): { service: string; dir: string } {
  if (badUserName(user)) throw new Forbidden('git shell: the forced command names no valid user; ask an admin to run cloudmatrix user list');
  const cmd = parseGitCommand(original);
  if ('error' in cmd) throw new Forbidden(cmd.error);
  const who = store.get(user);
  if (!who) throw new Forbidden(`user ${user} is gone (cloudmatrix user list)`);
  const need = cmd.service === 'git-receive-pack' ? 'deploy' : 'read';
  if (!can(who, need, cmd.app)) {
    throw new Forbidden(`user ${user} (${who.role}) may not ${cmd.service === 'git-receive-pack' ? 'push to' : 'fetch'} ${cmd.app}.git`);
  }
  const dir = repoDir(config, cmd.app);
  if (!existsSync(join(dir, 'HEAD'))) throw new Forbidden(`no repository ${cmd.app}.git: an admin makes it with cloudmatrix git init ${cmd.app}`);
  return { service: cmd.service, dir };
}

/**
 * `cloudmatrix git shell USER`, the forced command of USER's keys: runs git-receive-pack or
 * git-upload-pack on the app's repository when the user may push to (or read) it, with the
 * user named to the post-receive hook's deploy. Anything else is one line and a non-zero exit.
 */
export async function gitShell(config: Config, user: string, original: string | undefined): Promise<number> {
  if (process.getuid?.() !== 0) throw new EnvError('git shell must run as root (the git account reaches it through sudo)');
  const store = new UserStore(config.stateDir);
  const { service, dir } = gitShellDecision(config, store, user, original);
  try {
    markUsed(store, user);
  } catch {
    // a push must not fail because the last-use note could not be written
  }
  const env = { ...cleanEnv(), [GIT_USER_ENV]: user, CLOUDMATRIX_CONFIG: configPath() };
  const child = spawn('git', [service.slice(4), dir], { stdio: 'inherit', env });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new EnvError(`git ${service.slice(4)}: ${err.message}`)));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
