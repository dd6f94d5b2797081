import { checkReferences } from './references.js';
import type { AppSpec, PathSegment } from './types.js';

type Report = (path: PathSegment[], message: string) => void;

/** TCP services have nothing for Varnish; apps with volumes run one replica on one node. */
function checkApp(app: AppSpec, written: { hosts: boolean; backup: boolean }, bad: Report): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['apps', app.name, ...rest];
  if (app.expose === 'tcp' && app.worker) bad(at('expose'), 'a TCP service needs a port');
  if (app.expose === 'tcp') {
    const why = 'a TCP service (expose: tcp) is not routed by Varnish';
    if (written.hosts) bad(at('hosts'), `${why}: it has no hosts`);
    if (app.paths.length) bad(at('paths'), `${why}: it has no paths`);
    if (app.tls) bad(at('tls'), `${why}: no TLS at the router`);
    if (app.autoscale) bad(at('autoscale'), `${why}: autoscale follows Varnish's request rate`);
  }
  if (app.volumes) {
    if (app.replicaRange) bad(at('replicas'), 'an app with volumes runs one replica (its volumes are on one node): expected replicas: 1');
    else if (app.replicas > 1) bad(at('replicas'), `an app with volumes runs one replica (its volumes are on one node): expected 1, got ${app.replicas}`);
    const seen = new Map<string, string>();
    for (const [name, path] of Object.entries(app.volumes)) {
      const other = seen.get(path);
      if (other) bad(at('volumes', name), `path ${path} is also the mount of volume ${other}`);
      seen.set(path, name);
    }
  } else if (written.backup) {
    bad(at('backup'), 'only applies to an app with volumes');
  }
}

/** The rules of #14 (volumes, TCP services, references); apps in file order. */
export function checkStateful(apps: readonly AppSpec[], written: (app: string) => { hosts: boolean; backup: boolean }, bad: Report): void {
  for (const app of apps) checkApp(app, written(app.name), bad);
  checkReferences(apps, bad);
}
