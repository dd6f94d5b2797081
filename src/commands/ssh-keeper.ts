import type { Command } from 'commander';

export function registerSshKeeper(program: Command): void {
  program
    .command('ssh-keeper')
    .description('keep the SSH connections to the nodes open between commands (the CLI starts it itself; it ends after ssh.keepMs without use)')
    .option('--stop', 'end the keepers of this state dir now (the next command connects directly and starts one again)')
    .action(async (opts: { stop?: boolean }) => {
      const [{ loadConfig, stateDir }, keeper] = await Promise.all([import('../config.js'), import('../adapters/docker/keeper.js')]);
      if (opts.stop) {
        const n = keeper.stopKeepers(stateDir());
        console.log(`${n} keeper(s) stopped`);
        return;
      }
      const { runKeeper } = await import('../adapters/docker/keeper-daemon.js');
      const env = process.env.CMX_SSH_KEEP_MS;
      await runKeeper(loadConfig(), env ? { keepMs: Number(env) } : {});
    });
}
