import type { Command } from 'commander';

export function registerCreateImage(program: Command): void {
  program
    .command('create-image')
    .description("build APP_DIR's Dockerfile on the manager and tag it <registry>/cloud/NAME:TAG")
    .argument('<app-dir>', 'directory with a Dockerfile (and optionally prepare.sh, .dockerignore)')
    .argument('<name>', 'NAME[:TAG]; TAG defaults to a content hash of the build context')
    .action(async (appDir: string, name: string) => {
      const [{ loadConfig }, { createImage }] = await Promise.all([import('../config.js'), import('../images/create.js')]);
      const created = await createImage({ appDir, name, config: loadConfig() });
      console.log(created.ref);
    });
}
