import type { Command } from 'commander';
import { formatTable } from '../model/table.js';
import type { UserRow } from '../users/users.js';

export function formatUsers(rows: readonly UserRow[]): string {
  if (rows.length === 0) return 'no users (cloudmatrix user add NAME --role deployer --apps APP --ssh-key KEY.pub)';
  return formatTable([
    ['NAME', 'ROLE', 'APPS', 'KEYS', 'LAST USE'],
    ...rows.map((u) => [u.name, u.role, u.role === 'admin' ? '*' : u.apps.join(',') || '-', u.keys.map((k) => k.fingerprint).join(',') || '-', u.lastUsedAt ?? 'never']),
  ]);
}

async function stateDirOfConfig(): Promise<string> {
  const { loadConfig } = await import('../config.js');
  return loadConfig().stateDir;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function printToken(name: string, token: string, what: string): void {
  console.log(`${what}; the API token of ${name} (shown this once, stored only as a hash):`);
  console.log(token);
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('users: API tokens (stored hashed), SSH keys for git push, roles and apps');
  user
    .command('add')
    .description('add a user and print their API token once')
    .argument('<name>', 'NAME: 1-32 of a-z 0-9 _ -, starting with a letter')
    .option('--role <role>', 'admin (everything), deployer (deploy, roll back, scale, push its apps) or viewer (read its apps)', 'deployer')
    .option('--apps <a,b>', 'the apps a deployer or viewer may see (and a deployer change)')
    .option('--ssh-key <file>', 'an OpenSSH public key (.pub) for git push over SSH; repeatable', collect)
    .addHelpText('after', `
  cloudmatrix user add alice --role deployer --apps web,api --ssh-key alice.pub
Then, on alice's workstation: git remote add cloud ssh://git@MANAGER:2222/web.git && git push cloud main`)
    .action(async (name: string, opts: { role: string; apps?: string; sshKey?: string[] }) => {
      const { addUser } = await import('../users/users.js');
      const { token, user: u } = await addUser(await stateDirOfConfig(), { name, role: opts.role, apps: opts.apps, keyFiles: opts.sshKey });
      const apps = u.role === 'admin' ? 'every app' : u.apps.join(', ') || 'no apps yet';
      printToken(name, token, `added user ${name}: ${u.role} of ${apps}, ${u.keys.length} SSH key(s)`);
    });
  user
    .command('list')
    .description('the users: role, apps, SSH key fingerprints, last use (never tokens)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { listUsers } = await import('../users/users.js');
      const rows = listUsers(await stateDirOfConfig());
      console.log(opts.json ? JSON.stringify(rows, null, 2) : formatUsers(rows));
    });
  user
    .command('set')
    .description("change a user's role and/or apps (token and keys stay); takes effect on their next request or push")
    .argument('<name>', 'NAME')
    .option('--role <role>', 'admin, deployer or viewer')
    .option('--apps <a,b>', 'the apps (replaces the list; "" for none)')
    .action(async (name: string, opts: { role?: string; apps?: string }) => {
      const { setUser } = await import('../users/users.js');
      const u = setUser(await stateDirOfConfig(), name, opts);
      console.log(`user ${name}: ${u.role} of ${u.role === 'admin' ? 'every app' : u.apps.join(', ') || 'no apps'}`);
    });
  user
    .command('token')
    .description('give the user a new API token (printed once); the old one stops working at once')
    .argument('<name>', 'NAME')
    .action(async (name: string) => {
      const { rotateToken } = await import('../users/users.js');
      printToken(name, await rotateToken(await stateDirOfConfig(), name), `new token for ${name}; the old one no longer works`);
    });
  const key = user.command('key').description("a user's SSH public keys (git push over SSH)");
  key
    .command('add')
    .description('add an OpenSSH public key (.pub) to the user')
    .argument('<name>', 'NAME')
    .argument('<file>', 'FILE: the .pub file')
    .action(async (name: string, file: string) => {
      const { addKey } = await import('../users/users.js');
      console.log(`added key ${addKey(await stateDirOfConfig(), name, file)} to ${name}`);
    });
  key
    .command('rm')
    .description('remove a key, by its .pub file or its fingerprint (SHA256:..., as user list shows)')
    .argument('<name>', 'NAME')
    .argument('<key>', 'FILE or FINGERPRINT')
    .action(async (name: string, k: string) => {
      const { removeKey } = await import('../users/users.js');
      console.log(`removed key ${removeKey(await stateDirOfConfig(), name, k)} from ${name}`);
    });
  user
    .command('rm')
    .description('remove a user: their token and keys stop working at once')
    .argument('<name>', 'NAME')
    .action(async (name: string) => {
      const { removeUser } = await import('../users/users.js');
      removeUser(await stateDirOfConfig(), name);
      console.log(`removed user ${name}`);
    });
}
