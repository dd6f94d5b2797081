import { APP_NAME } from '../plan/fields.js';

export type GitService = 'git-receive-pack' | 'git-upload-pack';

/** The longest SSH_ORIGINAL_COMMAND looked at: `git-receive-pack '<63-char name>.git'` and some slack. */
export const MAX_GIT_COMMAND = 256;

/**
 * What `git push`/`git fetch` over SSH asks for, from SSH_ORIGINAL_COMMAND:
 * `git-receive-pack 'web.git'` (also `git receive-pack`, a leading `/`, `~/`, no quotes, no `.git`).
 * Anything else (a shell, options, another path, `..`, control or non-ASCII characters) is an error
 * of one line that says what is accepted, never echoing the input whole.
 */
export function parseGitCommand(original: string | undefined): { service: GitService; app: string } | { error: string } {
  const accepted = "only git-receive-pack 'APP.git' and git-upload-pack 'APP.git' (git push and git fetch) are accepted here";
  if (original === undefined || original === '') return { error: `no command: ${accepted}; this account has no shell` };
  if (original.length > MAX_GIT_COMMAND) return { error: `the command is longer than ${MAX_GIT_COMMAND} characters: ${accepted}` };
  // eslint-disable-next-line no-control-regex
  if (/[^\x20-\x7e]/.test(original)) return { error: `the command has control or non-ASCII characters: ${accepted}` };
  const m = /^(git[ -](?:receive|upload)-pack) +(?:'([^']*)'|([^\s'"]+))$/.exec(original);
  if (!m) return { error: accepted };
  const service = m[1]!.replace(' ', '-') as GitService;
  const path = m[2] ?? m[3]!;
  if (path.includes('..')) return { error: 'the repository path contains "..": name the repository as APP.git' };
  const name = path.replace(/^(?:~\/|\/)/, '').replace(/\.git$/, '');
  if (!APP_NAME.test(name)) return { error: `${JSON.stringify(path.slice(0, 80))} is not APP.git (an app name is lowercase letters, digits, _ and -)` };
  return { service, app: name };
}
