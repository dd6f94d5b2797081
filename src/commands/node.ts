import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';
import { parseDuration } from './flags.js';

interface DrainFlags {
  moveStateful?: boolean;
  json?: boolean;
  healthTimeout?: string;
}

export function registerNode(program: Command): void {
  const node = program.command('node').description('node maintenance: drain a node (cordon it, move its replicas off with zero downtime), undrain it');
  node
    .command('drain')
    .description('cordon the node (nothing new is placed there) and move every replica off it: start elsewhere, health-gate, switch Varnish, drain, stop')
    .argument('<node>', 'node name')
    .option('--move-stateful', 'also move apps with volumes pinned there, with their data (as cloudmatrix move does)')
    .option('--health-timeout <duration>', 'how long a new container may take to turn healthy', '60s')
    .option('--json', 'print the report as JSON (progress goes to stderr)')
    .action(async (name: string, flags: DrainFlags) => {
      const healthTimeoutMs = parseDuration('--health-timeout', flags.healthTimeout, 60_000);
      const [{ loadConfig }, { drainNode }] = await Promise.all([import('../config.js'), import('../nodes/drain.js')]);
      const out = flags.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
      const r = await drainNode(loadConfig(), name, { moveStateful: flags.moveStateful === true, log: out, deploy: { healthTimeoutMs } });
      if (flags.json) console.log(JSON.stringify(r, null, 2));
      else if (r.ok) console.log(`${r.node} drained: cordoned, ${r.deploys.length} deploy(s), no replica left there (cloudmatrix node undrain ${r.node} to use it again)`);
      else {
        const failed = r.deploys.filter((d) => d.result === 'failed' || d.result === 'partial').map((d) => d.plan);
        console.log(`${r.node} cordoned, but not empty: ${r.left.map((c) => `${c.plan}/${c.app} (${c.name})`).join(', ') || 'none left'}${failed.length ? `; failed deploys: ${failed.join(', ')}` : ''}`);
      }
      if (!r.ok) throw new CommandFailed();
    });
  node
    .command('undrain')
    .description('lift the cordon: placement may use the node again (nothing moves back by itself)')
    .argument('<node>', 'node name')
    .action(async (name: string) => {
      const [{ loadConfig }, { undrainNode }] = await Promise.all([import('../config.js'), import('../nodes/drain.js')]);
      const r = await undrainNode(loadConfig(), name);
      console.log(r.lifted ? `${r.node} undrained: placement may use it again` : `${r.node} was not cordoned`);
    });
}
