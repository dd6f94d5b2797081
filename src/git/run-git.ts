import { execFile, spawn } from 'node:child_process';
import { EnvError } from '../errors.js';

const TIMEOUT_MS = 60_000;

/** The environment without git's own variables, so that a hook's GIT_DIR does not leak into other repositories. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
}

/** Runs git with arguments (never a shell line); stdout, or an EnvError with git's last words. */
export function git(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: cleanEnv(), timeout: TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new EnvError('git is not installed (apt-get install git)'));
      reject(new EnvError(`git ${args[0] === '--git-dir' ? args[2] : args[0]}: ${stderr.trim().split('\n').pop() || err.message}`));
    });
  });
}

/** Extracts the tree of `commit` into `dest` (git archive | tar -x), as a build context. */
export function exportTree(gitDir: string, commit: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', ['--git-dir', gitDir, 'archive', '--format=tar', commit], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    archive.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    tar.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    archive.stdout.pipe(tar.stdin);
    const timer = setTimeout(() => (archive.kill(), tar.kill()), TIMEOUT_MS);
    archive.on('error', (e) => reject(new EnvError(`git archive: ${e.message}`)));
    tar.on('error', (e) => reject(new EnvError(`tar: ${e.message}`)));
    // Both must have ended: tar can close before git archive's 'close' is seen (that race read as "exit null/0").
    const closed = (p: ReturnType<typeof spawn>) => new Promise<number | null>((done) => p.on('close', (code) => done(code)));
    void Promise.all([closed(archive), closed(tar)]).then(([archiveCode, tarCode]) => {
      clearTimeout(timer);
      if (tarCode === 0 && archiveCode === 0) resolve();
      else reject(new EnvError(`cannot export ${commit.slice(0, 12)}: ${errors.trim().split('\n').pop() || `exit ${archiveCode}/${tarCode}`}`));
    });
  });
}
