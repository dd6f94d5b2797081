import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { packagePath } from './paths.js';
import { CommandFailed, exitCodeOf, messageOf, UserError } from './errors.js';

const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };

export async function buildProgram(): Promise<Command> {
  const [{ Command }, { registerCommands }] = await Promise.all([import('commander'), import('./commands/index.js')]);
  const program = new Command('cloudmatrix')
    .description('A private container cloud on plain Docker hosts')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

// By its code, so that commander need not load for --version.
const isCommanderError = (err: unknown): err is { exitCode: number } =>
  typeof (err as { code?: unknown } | null)?.code === 'string' && (err as { code: string }).code.startsWith('commander.');

/** The one place an error becomes what the user reads and an exit status. */
function report(err: unknown): number {
  if (isCommanderError(err)) return err.exitCode === 0 ? 0 : 2; // commander printed the usage error
  if (process.env.CLOUDMATRIX_DEBUG && err instanceof Error && !(err instanceof UserError) && !(err instanceof CommandFailed)) {
    console.error(err.stack);
  }
  // Bad input may list several problems, one line each (e.g. every error of a plan); an empty message was printed already.
  const text = err instanceof UserError || err instanceof CommandFailed ? err.message : messageOf(err);
  if (text !== '') console.error(text.split('\n').map((l, i) => (i === 0 ? `cloudmatrix: ${l}` : l)).join('\n'));
  return exitCodeOf(err);
}

export async function main(argv: string[]): Promise<number> {
  // Commands keep their SSH connections to the nodes in a background keeper (adapters/docker/keeper.ts); CMX_SSH_KEEPER=0 turns it off.
  process.env.CMX_SSH_KEEPER ??= '1';
  // The version alone needs none of the commands.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    console.log(pkg.version);
    return 0;
  }
  try {
    const program = await buildProgram();
    await program.parseAsync(argv, { from: 'user' });
    // Commands being rewritten still set exitCode; thrown errors are the way (CommandFailed).
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return report(err);
  } finally {
    await settleEvents();
  }
}

/** Webhook deliveries a command queued get a short bounded grace, then go to the outbox (events/emit.ts). */
async function settleEvents(): Promise<void> {
  try {
    const { settleNotifications } = await import('./events/emit.js');
    await settleNotifications();
  } catch {
    /* never the command's failure */
  }
}

const isEntry = process.argv[1] && /(cli\.[jt]s|cloudmatrix(\.js)?|cmx)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A stray handle (a socket a library keeps) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 3000).unref();
  });
}
