import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      if (text.length < 1 << 20) text += d; // ref lines: a few hundred bytes each
    });
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

export function registerGit(program: Command): void {
  const git = program.command('git').description('git-push deploys: a bare repository per app on the manager');
  git
    .command('init')
    .description('create <stateDir>/git/APP.git; each push to main builds the pushed tree, pushes the image, and deploys it')
    .argument('<app>', 'app name, as in the plan')
    .option('--plan <file>', 'the plan whose apps.APP.image a push updates (default: the deployed plan that runs APP)')
    .action(async (app: string, opts: { plan?: string }) => {
      const [{ loadConfig }, { initRepo }] = await Promise.all([import('../config.js'), import('../git/init.js')]);
      const { dir, planFile, existed } = await initRepo(loadConfig(), app, opts.plan);
      console.log(`${existed ? 'updated the hook of' : 'created'} ${dir}: a push to main builds ${app}, sets apps.${app}.image in ${planFile} and deploys it`);
      console.log(`push to it:\n  git remote add cloud ${dir}              # on the manager\n  git remote add cloud ssh://git@MANAGER:2222/${app}.git   # from a workstation: a user with --apps ${app} and an SSH key\n  git push cloud main`);
    });
  git
    .command('shell')
    .description("(the git account's forced command) run git-receive-pack/git-upload-pack for USER's apps: reads SSH_ORIGINAL_COMMAND")
    .argument('<user>', 'the user whose key signed in')
    .action(async (user: string) => {
      const [{ loadConfig }, { gitShell }] = await Promise.all([import('../config.js'), import('../git/shell.js')]);
      const code = await gitShell(loadConfig(), user, process.env.SSH_ORIGINAL_COMMAND);
      if (code !== 0) throw new CommandFailed(); // git said why
    });
  git
    .command('receive')
    .description('(run by the post-receive hook) deploy the pushed main: ref lines on stdin')
    .argument('<app>', 'app name')
    .action(async (app: string) => {
      // The pusher may go away (Ctrl-C): its lost output must not stop a deploy half way.
      process.stdout.on('error', () => undefined);
      const out = (l: string) => {
        if (process.stdout.writable) process.stdout.write(`${l}\n`);
      };
      const [{ loadConfig }, { receive }] = await Promise.all([import('../config.js'), import('../git/receive.js')]);
      const ok = await receive(loadConfig(), app, await readStdin(), out);
      if (!ok) throw new CommandFailed(); // receive told the pusher why
    });
}
