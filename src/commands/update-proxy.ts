import type { Command } from 'commander';
import { EnvError } from '../errors.js';

interface Flags {
  out?: string;
  check?: boolean;
  reload?: boolean;
  templates?: string;
}

export function registerUpdateProxy(program: Command): void {
  program
    .command('update-proxy')
    .description('render the Varnish VCL from the plan(s) and the live containers, compile-check it, hot-reload it')
    .argument('[plan]', 'plan file (default: the deployed plans)')
    .option('--out <file>', 'also write the VCL to this file')
    .option('--check', 'render and compile-check only; load nothing')
    .option('--no-reload', 'render (and compile-check) but do not load it into Varnish')
    .option('--templates <dir>', 'VCL templates dir (default: vcl-templates/)')
    .action(async (plan: string | undefined, opts: Flags) => {
      const [{ loadConfig }, { updateProxy }] = await Promise.all([import('../config.js'), import('../deploy/update-proxy.js')]);
      const { formatVclErrors, VclCompileError } = await import('../adapters/varnish.js');
      const warn = (l: string) => console.error(`cloudmatrix: warning: ${l}`);
      const r = await updateProxy(loadConfig(), plan, { ...opts, warn }).catch((err: unknown) => {
        // The plan was valid: a VCL that does not compile is the templates' fault, an environment failure.
        if (err instanceof VclCompileError) throw new EnvError(`the rendered VCL does not compile (the active VCL stays): ${formatVclErrors(err.errors)}`);
        throw err;
      });
      const backends = r.table.apps.reduce((n, a) => n + a.backends.length, 0);
      const what = `${r.table.apps.length} app(s), ${backends} backend(s)`;
      if (opts.check || opts.reload === false) console.log(`VCL ok: ${what}${opts.out ? `, written to ${opts.out}` : ''}`);
      else console.log(r.changed ? `varnish: loaded ${r.name}: ${what}` : `varnish: routing unchanged (${r.name}): ${what}`);
    });
}
