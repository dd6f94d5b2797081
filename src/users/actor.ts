import { userInfo } from 'node:os';
import { USER_NAME } from '../model/users/names.js';

/** Who did a deploy, as the history keeps it. */
export interface Actor {
  user: string;
  via: 'cli' | 'api' | 'git';
}

/** Set by `git shell` for the receive-pack it runs: the post-receive hook's deploy is that user's. */
export const GIT_USER_ENV = 'CLOUDMATRIX_GIT_USER';

/** The local caller: the git pusher when a git shell started us, else the system user running the CLI. */
export function localActor(env: NodeJS.ProcessEnv = process.env): Actor {
  const pusher = env[GIT_USER_ENV];
  if (pusher && USER_NAME.test(pusher)) return { user: pusher, via: 'git' };
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid ${process.getuid?.() ?? '?'}`;
  }
  return { user: name, via: 'cli' };
}
