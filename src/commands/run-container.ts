import type { Command } from 'commander';

/** commander's way to take a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface RunOptions {
  containerPort?: string;
  name?: string;
  app?: string;
  env: string[];
  command?: string;
  memory?: string;
  cpus?: string;
}

export function registerRunContainer(program: Command): void {
  program
    .command('run-container')
    .description('run an image of the private registry on a node, published on the node address')
    .argument('<node>', 'node name (see: cloudmatrix nodes)')
    .argument('<image>', 'NAME:TAG (resolved as <registry>/cloud/NAME:TAG) or a full reference')
    .argument('[host-port]', 'port on the node address (default: Docker picks one)')
    .option('--container-port <port>', "port the app listens on (default: the image's EXPOSE, else 8080)")
    .option('--name <name>', 'container name (default: <app>-<node>-<host port or revision>)')
    .option('--app <app>', "cloudmatrix.app label (default: the image name's last component)")
    .option('--env <K=V>', 'environment variable, repeatable', collect, [] as string[])
    .option('--command <argv>', 'replaces the image\'s CMD: words split at blanks, or a JSON list of strings; no shell')
    .option('--memory <size>', 'memory limit, reserved on the node: 256M, 1.5G, 512K (1024-based) or bytes')
    .option('--cpus <n>', 'CPU limit, reserved on the node (fractions allowed, e.g. 0.5)')
    .addHelpText('after', `
--memory and --cpus are refused (exit 2) when the node has not that much free: its memory and
CPUs (docker info) less what the cloudmatrix containers there reserve.

Idempotent: a container of the same name and the same revision (image digest + options) is
reported as already running (started again if stopped). The same name with another revision
is refused (exit 2): remove it first, or give another --name; deploy-plan does replacements.`)
    .action(async (nodeName: string, imageArg: string, hostPortArg: string | undefined, o: RunOptions) => {
      const [{ loadConfig }, { parseCommandOption, parseCpusOption, parseEnvOption, parseMemoryOption, parsePort }, { runContainer }] = await Promise.all([
        import('../config.js'), import('../containers/args.js'), import('../containers/run.js'),
      ]);
      const r = await runContainer({
        node: nodeName, image: imageArg, env: parseEnvOption(o.env), name: o.name, app: o.app,
        hostPort: hostPortArg === undefined ? undefined : parsePort(hostPortArg, 'HOST_PORT'),
        containerPort: o.containerPort === undefined ? undefined : parsePort(o.containerPort, '--container-port'),
        ...(o.command !== undefined ? { command: parseCommandOption(o.command) } : {}),
        ...(o.memory !== undefined || o.cpus !== undefined ? {
          resources: {
            ...(o.memory !== undefined ? { memory: parseMemoryOption(o.memory) } : {}),
            ...(o.cpus !== undefined ? { cpus: parseCpusOption(o.cpus) } : {}),
          },
        } : {}),
        config: loadConfig(),
      });
      if (r.outcome !== 'started') process.stderr.write(`${r.name} is already running (revision ${r.revision})\n`);
      console.log(`${r.node} ${r.address}:${r.port}`);
    });
}
