import { createReadStream } from 'node:fs';
import { dirname } from 'node:path';
import type { NodeEngine } from '../adapters/docker.js';
import { BackupStore, type BackupRecord, type BackupVolume } from '../adapters/store/backups.js';
import type { AppSpec } from '../model/plan.js';
import { backupId, retentionVictims } from '../model/stateful.js';

/** A backup that could not be written: the deploy of the app stops, nothing changed. */
export class BackupFailed extends Error {}

export interface BackupSource {
  plan: string;
  app: AppSpec;
  node: string;
  containerId: string;
  containerName: string;
  reason: BackupRecord['reason'];
}

/**
 * Streams every volume of the app out of its container (running or stopped) through Docker's
 * archive API (no tar needed in the image) into `<stateDir>/backups/<plan>/<app>/`, then drops
 * the oldest beyond the app's `backup.keep`.
 */
export async function backupApp(store: BackupStore, engine: NodeEngine, src: BackupSource, now = new Date()): Promise<BackupRecord> {
  const t0 = Date.now();
  const id = backupId(now);
  const entries = Object.entries(src.app.volumes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const volumes: BackupVolume[] = [];
  const record: BackupRecord = {
    id, plan: src.plan, app: src.app.name, node: src.node, container: src.containerName, createdAt: now.toISOString(), durationMs: 0, reason: src.reason, volumes,
  };
  try {
    for (const [name, path] of entries) {
      const file = store.fileOf(id, name, entries.length === 1);
      let written: { bytes: number; sha256: string } | undefined;
      await engine.getArchive(src.containerId, path, async (tar) => {
        written = await store.writeArchive(src.plan, src.app.name, file, tar);
      });
      volumes.push({ name, path, file, ...written! });
    }
    record.durationMs = Date.now() - t0;
    store.saveRecord(record);
  } catch (err) {
    try {
      store.remove(record);
    } catch {
      /* what could not be written cannot be removed either; the message says where */
    }
    throw new BackupFailed(`backup of ${src.app.name} (${src.node}/${src.containerName}) into ${store.dir(src.plan, src.app.name)} failed: ${(err as Error).message}`);
  }
  prune(store, src.plan, src.app.name, src.app.backupKeep ?? 5);
  return record;
}

/** Deletes an app's oldest backups so that `keep` remain; returns the ids deleted. */
export function prune(store: BackupStore, plan: string, app: string, keep: number): string[] {
  const all = store.list(plan, app);
  const victims = new Set(retentionVictims(all.map((r) => r.id), keep));
  for (const r of all) if (victims.has(r.id)) store.remove(r);
  return [...victims];
}

/**
 * Puts a backup into a container's volumes (a new container, created and not started, on fresh
 * volumes): each archive is checked against its sha256 first, then extracted where its volume is
 * mounted (the archive's top entry is the mount's last path element).
 */
export async function restoreInto(store: BackupStore, engine: NodeEngine, containerId: string, app: AppSpec, record: BackupRecord): Promise<void> {
  await store.verify(record);
  for (const [name, path] of Object.entries(app.volumes ?? {})) {
    const v = record.volumes.find((x) => x.name === name);
    if (!v) continue;
    if (v.path.split('/').pop() !== path.split('/').pop()) {
      throw new Error(`backup ${record.id}: volume ${name} was mounted at ${v.path}, now at ${path}: its archive's top entry would not land in the volume`);
    }
    await engine.putArchive(containerId, dirname(path), () => createReadStream(store.archivePath(record, v)));
  }
}
