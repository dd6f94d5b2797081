import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { exitCodeOf, messageOf, UserError } from './errors.js';
import { registerCommands } from './commands/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('cloudmatrix')
    .description('A private container cloud on plain Docker hosts')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      return 2; // commander already printed the usage error
    }
    if (process.env.CLOUDMATRIX_DEBUG && err instanceof Error && !(err instanceof UserError)) {
      console.error(err.stack);
    }
    // Bad input may list several problems, one line each (e.g. every error of a plan).
    const text = err instanceof UserError ? err.message : messageOf(err);
    console.error(text.split('\n').map((l, i) => (i === 0 ? `cloudmatrix: ${l}` : l)).join('\n'));
    return exitCodeOf(err);
  }
}

const isEntry = process.argv[1] && /(cli\.ts|cloudmatrix(\.js)?|cmx)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A stray handle (a socket a library keeps) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 3000).unref();
  });
}
