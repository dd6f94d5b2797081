import type { Command } from 'commander';
import { registerLab } from './lab.js';
import { registerCreateImage } from './create-image.js';
import { registerInstallImage } from './install-image.js';
import { registerImages } from './images.js';
import { registerRunContainer } from './run-container.js';
import { registerPs } from './ps.js';
import { registerNodes } from './nodes.js';
import { registerPlan } from './plan.js';
import { registerDeployPlan } from './deploy-plan.js';
import { registerUpdateProxy } from './update-proxy.js';
import { registerWatch } from './watch.js';
import { registerStatus } from './status.js';
import { registerRoutes } from './routes.js';
import { registerHistory } from './history.js';
import { registerRollback } from './rollback.js';
import { registerUndeploy } from './undeploy.js';
import { registerServe } from './serve.js';
import { registerGit } from './git.js';
import { registerCerts } from './certs.js';
import { registerScale } from './scale.js';
import { registerSecret } from './secret.js';
import { registerUser } from './user.js';

/** Every CLI command registers itself here; keep one line per command module. */
export function registerCommands(program: Command): void {
  registerLab(program);
  registerCreateImage(program);
  registerInstallImage(program);
  registerImages(program);
  registerRunContainer(program);
  registerPs(program);
  registerNodes(program);
  registerPlan(program);
  registerDeployPlan(program);
  registerUpdateProxy(program);
  registerWatch(program);
  registerStatus(program);
  registerRoutes(program);
  registerHistory(program);
  registerRollback(program);
  registerUndeploy(program);
  registerServe(program);
  registerGit(program);
  registerScale(program);
  registerCerts(program);
  registerSecret(program);
  registerUser(program);
}
