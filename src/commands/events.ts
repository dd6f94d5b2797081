import type { Command } from 'commander';
import { UserError } from '../errors.js';

interface EventsFlags {
  follow?: boolean;
  json?: boolean;
  limit?: string;
  type?: string;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 50;
  if (!/^[0-9]{1,6}$/.test(text)) throw new UserError(`--limit: expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('the event log: deploys, rollbacks, autoscale, failed jobs and renewals, unreachable nodes (what webhooks receive)')
    .argument('[app]', 'only events of this app (APP, or PLAN/APP)')
    .option('--follow', 'then print new events as they come, until interrupted')
    .option('--json', 'one JSON object per line')
    .option('--limit <n>', 'the newest n events first', '50')
    .option('--type <type>', 'only this type, or a prefix like deploy.*')
    .action(async (ref: string | undefined, opts: EventsFlags) => {
      const limit = parseLimit(opts.limit);
      const [{ loadConfig }, { readEvents }, { followEvents }, view, { parseAppRef }] = await Promise.all([
        import('../config.js'), import('../events/log.js'), import('../events/follow.js'), import('../model/event-view.js'), import('../model/app-ref.js'),
      ]);
      const want = ref === undefined ? undefined : parseAppRef(ref);
      const filter = { type: opts.type, plan: want?.plan, app: want?.app };
      const print = (e: Parameters<typeof view.formatEvent>[0]) => console.log(opts.json ? JSON.stringify(e) : view.formatEvent(e));
      const { stateDir } = loadConfig();
      // Following starts before the read, so that an event between the two is not lost (a repeat is dropped by id).
      const seen = new Set<string>();
      let stop = () => {};
      const done = opts.follow
        ? new Promise<void>((resolve) => {
            stop = followEvents(stateDir, (e) => {
              if (!seen.has(e.id) && view.matchesEvent(e, filter)) print(e);
            });
            const end = () => {
              stop();
              resolve();
            };
            process.once('SIGINT', end);
            process.once('SIGTERM', end);
          })
        : Promise.resolve();
      const past = view.filterEvents(readEvents(stateDir), { ...filter, limit });
      for (const e of past) {
        seen.add(e.id);
        print(e);
      }
      if (!opts.follow && past.length === 0 && !opts.json) console.log('no events yet');
      await done;
    });
}
