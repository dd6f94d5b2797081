import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';
import type { JobRun } from '../adapters/store/jobs.js';
import type { JobView } from '../jobs/list.js';
import { formatTable } from '../model/table.js';

const took = (r: JobRun) => (r.durationMs === undefined ? '-' : `${(r.durationMs / 1000).toFixed(1)} s`);
const outcome = (r: JobRun) => `${r.state}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}`;

export function formatJobs(jobs: readonly JobView[]): string {
  if (jobs.length === 0) return 'no jobs (an app with schedule: and a command is one)';
  return formatTable([
    ['JOB', 'SCHEDULE', 'CONCURRENCY', 'NEXT', 'LAST RUN', 'RESULT', 'TOOK'],
    ...jobs.map((j) => {
      const r = j.runs[0];
      return [`${j.plan}/${j.app}`, j.schedule, j.concurrency, j.next, r?.startedAt ?? '-', r ? outcome(r) : '-', r ? took(r) : '-'];
    }),
  ]);
}

export function formatJob(j: JobView): string {
  const head = `${j.plan}/${j.app}: "${j.schedule}" (UTC), concurrency ${j.concurrency}, next ${j.next}`;
  if (j.runs.length === 0) return `${head}\nno runs yet`;
  const table = formatTable([
    ['RUN', 'TRIGGER', 'FOR', 'RESULT', 'NODE', 'STARTED', 'TOOK'],
    ...j.runs.map((r) => [r.id, r.trigger, r.scheduledFor ?? '-', outcome(r), r.node ?? '-', r.startedAt, took(r)]),
  ]);
  const last = j.runs.find((r) => r.state !== 'skipped');
  const tail = last ? `\nlast lines of ${last.id}${last.reason ? ` (${last.reason})` : ''}:\n${(last.logs ?? []).map((l) => `  ${l}`).join('\n') || '  (none)'}` : '';
  return `${head}\n${table}${tail}`;
}

export function formatRun(r: JobRun): string {
  const lines = [`${r.plan}/${r.app}: run ${r.id} ${outcome(r)} on ${r.node ?? '-'} in ${took(r)}${r.reason ? `: ${r.reason}` : ''}`];
  for (const l of r.logs ?? []) lines.push(`  ${l}`);
  return lines.join('\n');
}

export function registerJobs(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('scheduled jobs (apps with schedule:): their times, last runs, exit status, duration and last log lines')
    .argument('[app]', 'one job (APP or PLAN/APP): its runs, newest first')
    .option('--json', 'print JSON')
    .action(async (app: string | undefined, opts: { json?: boolean }) => {
      const [{ loadConfig }, { listJobs, jobView }] = await Promise.all([import('../config.js'), import('../jobs/list.js')]);
      const { stateDir } = loadConfig();
      if (app === undefined) {
        const all = listJobs(stateDir);
        console.log(opts.json ? JSON.stringify({ jobs: all }, null, 2) : formatJobs(all));
      } else {
        const one = jobView(stateDir, app);
        console.log(opts.json ? JSON.stringify(one, null, 2) : formatJob(one));
      }
    });
  jobs
    .command('run')
    .description('run the job once now on a node placement picks; waits, prints the result; exit 1 if it failed')
    .argument('<app>', 'APP or PLAN/APP')
    .option('--json', 'print the run as JSON')
    .action(async (app: string, opts: { json?: boolean }) => {
      const [{ loadConfig }, { findJob }, { runJob }] = await Promise.all([import('../config.js'), import('../jobs/list.js'), import('../jobs/run-job.js')]);
      const config = loadConfig();
      const job = findJob(config.stateDir, app);
      const { localActor } = await import('../users/actor.js');
      const r = await runJob(config, job.owner, job.app, { trigger: 'manual', log: (l) => console.error(l), user: localActor().user });
      console.log(opts.json ? JSON.stringify(r, null, 2) : formatRun(r));
      if (r.state !== 'succeeded') throw new CommandFailed();
    });
}
