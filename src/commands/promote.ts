import type { Command } from 'commander';
import { runDeploy, type DeployFlags } from './deploy-plan.js';

interface PromoteFlags extends DeployFlags {
  deploy?: boolean;
}

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description("carry what runs healthy in one plan to another: set each app's image in TO_PLAN's file to the exact digest FROM_PLAN runs, show the diff, deploy TO_PLAN")
    .argument('<from>', 'FROM_PLAN: a deployed plan (its name, e.g. staging) or its plan file')
    .argument('<to>', "TO_PLAN: a deployed plan's name (its file is edited) or a plan file")
    .argument('[apps...]', "the apps to promote (default: every app of FROM_PLAN); each must be in both plans")
    .option('--no-deploy', "only edit TO_PLAN's file (the history still records the promotion)")
    .option('--json', 'print the deploy report as JSON (the diff and progress go to stderr)')
    .option('--health-timeout <duration>', 'how long a new container may take to turn healthy', '60s')
    .addHelpText('after', `
  cloudmatrix promote staging hello simplewebapp1    # hello.yaml's simplewebapp1 at staging's digest, deployed
  cloudmatrix promote plans/staging.yaml plans/hello.yaml --no-deploy
An app that does not run healthy in FROM_PLAN (known-good replicas answering their health check,
one revision) refuses the whole promotion (exit 2) and nothing is changed. Comments and layout of
TO_PLAN's file are kept; when the deploy fails, the file is put back as it was.`)
    .action(async (from: string, to: string, apps: string[], flags: PromoteFlags) => {
      const [{ loadConfig }, { preparePromotion, recordPromotion, promotionNote, writePromotion, deployedWithPromotion }] = await Promise.all([
        import('../config.js'), import('../promote/promote.js'),
      ]);
      const config = loadConfig();
      const p = await preparePromotion(config, from, to, apps);
      const say = flags.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
      for (const c of p.changes) say(`${p.from.name}/${c.app} runs ${c.digest} healthy (revision ${c.revision})`);
      say(p.diff || `${p.to.file}: every app is at that digest already`);
      if (p.diff) writePromotion(p);
      if (flags.deploy === false) {
        await recordPromotion(config, p);
        say(`${p.to.file}: edited, not deployed (cloudmatrix deploy-plan ${p.to.file})`);
        return;
      }
      const promotion = { from: p.from.name, to: p.to.name, apps: p.changes, deployed: true };
      let ok = false;
      try {
        await runDeploy(p.to.file, flags, { kind: 'promote', note: promotionNote(p, true), promotion });
        ok = true;
      } finally {
        // A deploy refused or failed for every app leaves the file as it was; a partial one keeps what it deployed.
        if (!ok && p.diff && !deployedWithPromotion(config, p)) {
          writePromotion(p, true);
          console.error(`cloudmatrix: ${p.to.file} put back as it was`);
        }
      }
    });
}
