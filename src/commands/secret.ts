import type { Command } from 'commander';
import { formatTable } from '../model/table.js';

interface SecretListRow {
  name: string;
  setAt: string;
  usedBy: string[];
}

export function formatSecrets(rows: readonly SecretListRow[]): string {
  if (rows.length === 0) return 'no secrets (cloudmatrix secret set NAME < file)';
  return formatTable([['NAME', 'SET', 'USED BY'], ...rows.map((r) => [r.name, r.setAt, r.usedBy.join(',') || '-'])]);
}

async function stateDirOfConfig(): Promise<string> {
  const { loadConfig } = await import('../config.js');
  return loadConfig().stateDir;
}

export function registerSecret(program: Command): void {
  const secret = program.command('secret').description('secrets for apps: stored encrypted on the manager, given to containers as env vars');
  secret
    .command('set')
    .description('store a secret (or replace it); the value is read from stdin, never from the command line')
    .argument('<name>', 'NAME: upper-case letters, digits and _ (an env var name)')
    .option('--plan <plan>', "only for this deployed plan's apps (e.g. staging): wins over the global value for them")
    .addHelpText('after', `
  printf %s "$PASSWORD" | cloudmatrix secret set DATABASE_PASSWORD
  cloudmatrix secret set SESSION_KEY < session.key     # one trailing line end is dropped
  cloudmatrix secret set DATABASE_PASSWORD --plan staging < staging-password   # listed as staging/DATABASE_PASSWORD
On a terminal it asks for the value without echoing it. The next deploy-plan replaces exactly the
containers of the apps that name a changed secret.`)
    .action(async (name: string, opts: { plan?: string }) => {
      const [{ setSecret }, { readSecretValue }, { UserError }, { SECRET_NAME, SECRET_NAME_MESSAGE }] = await Promise.all([
        import('../secrets/secrets.js'), import('../secrets/read-value.js'), import('../errors.js'), import('../model/secrets.js'),
      ]);
      // The name first: a bad one must not make the user type the value for nothing.
      if (!SECRET_NAME.test(name)) throw new UserError(`NAME ${JSON.stringify(name)}: ${SECRET_NAME_MESSAGE}`);
      const stateDir = await stateDirOfConfig();
      if (opts.plan !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(opts.plan)) throw new UserError(`--plan ${JSON.stringify(opts.plan.slice(0, 64))}: a plan name is letters, digits, "_", "." and "-"`);
      const r = setSecret(stateDir, name, await readSecretValue(name), undefined, opts.plan);
      const users = r.usedBy.length ? `; the next deploy replaces ${r.usedBy.join(', ')}` : '';
      console.log(`${r.replaced ? 'replaced' : 'set'} secret ${opts.plan ? `${opts.plan}/` : ''}${name}${users}`);
    });
  secret
    .command('list')
    .description('the secrets: names (PLAN/NAME for a plan\'s own value), when set, which deployed apps use them (never values)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { listSecrets } = await import('../secrets/secrets.js');
      const rows = listSecrets(await stateDirOfConfig());
      console.log(opts.json ? JSON.stringify(rows, null, 2) : formatSecrets(rows));
    });
  secret
    .command('rm')
    .description('remove a secret (one that deployed apps use only with --force)')
    .argument('<name>', 'NAME')
    .option('--force', 'remove it even though deployed apps use it (their next deploy fails until it is set again)')
    .option('--plan <plan>', "the plan's own value (its apps fall back on the global one)")
    .action(async (name: string, opts: { force?: boolean; plan?: string }) => {
      const { removeSecret } = await import('../secrets/secrets.js');
      const r = removeSecret(await stateDirOfConfig(), name, opts.force === true, undefined, opts.plan);
      console.log(`removed secret ${opts.plan ? `${opts.plan}/` : ''}${name}${r.usedBy.length ? ` (still named by ${r.usedBy.join(', ')})` : ''}`);
    });
}
