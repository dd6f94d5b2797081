import type { Command } from 'commander';

export function registerInstallImage(program: Command): void {
  program
    .command('install-image')
    .description('push an image built with create-image to the private registry and check it there')
    .argument('<name>', 'NAME[:TAG]; without TAG, the newest local tag of NAME')
    .action(async (name: string) => {
      const [{ loadConfig }, { installImage }] = await Promise.all([import('../config.js'), import('../images/install.js')]);
      const installed = await installImage({ name, config: loadConfig() });
      console.log(`${installed.ref} ${installed.digest}`);
    });
}
