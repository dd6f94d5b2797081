// Which images of the registry to keep: pure, from what the registry has and what holds each
// image (a deployed plan, a recent history revision). Deleting is by manifest digest and takes
// every tag at that digest with it, so a digest goes only when no kept tag points to it.

export type Holder =
  | { kind: 'deployed'; plan: string; app: string }
  /** n: 1 for the app's newest revision, 2 for the one before... */
  | { kind: 'history'; plan: string; app: string; revision: string; n: number }
  /** install-image pushed it a short while ago: about to be deployed, not ours to delete yet */
  | { kind: 'pushed'; time: string; user: string };

/** An image something holds, by tag or by digest (or both) in a repository. */
export interface Hold {
  repository: string;
  tag: string | null;
  digest: string | null;
  holder: Holder;
}

export interface RepoTags {
  repository: string;
  tags: { tag: string; digest: string | null }[];
}

export type TagVerdict =
  | { keep: true; why: 'held'; holders: Holder[] }
  | { keep: true; why: 'shares-digest'; with: string }
  | { keep: true; why: 'unmanaged' }
  | { keep: true; why: 'missing' }
  | { keep: false };

export interface RepoDecision {
  repository: string;
  tags: { tag: string; digest: string | null; verdict: TagVerdict }[];
  /** manifest digests to delete, each once */
  deleteDigests: string[];
}

export function holderText(h: Holder): string {
  if (h.kind === 'deployed') return `deployed ${h.plan}/${h.app}`;
  if (h.kind === 'pushed') return `pushed ${h.time.slice(0, 16).replace('T', ' ')} by ${h.user}`;
  return `${h.plan}/${h.app} history #${h.n} (${h.revision.slice(0, 12)})`;
}

/**
 * Per repository: tags held (by tag, or by the digest they resolve to) are kept, and so is every
 * tag at a digest a kept tag points to; a repository nothing of ours ever held is left alone
 * (images pushed but never deployed are not ours to judge). The rest are deleted by digest.
 */
export function decideRetention(repos: readonly RepoTags[], holds: readonly Hold[]): RepoDecision[] {
  return repos.map((repo) => {
    const mine = holds.filter((h) => h.repository === repo.repository);
    if (mine.length === 0) {
      return { repository: repo.repository, tags: repo.tags.map((t) => ({ ...t, verdict: { keep: true, why: 'unmanaged' } as const })), deleteDigests: [] };
    }
    const holdersOf = (t: { tag: string; digest: string | null }) =>
      mine.filter((h) => (h.tag !== null && h.tag === t.tag) || (h.digest !== null && h.digest === t.digest)).map((h) => h.holder);
    const held = new Map(repo.tags.map((t) => [t.tag, holdersOf(t)]));
    const keptDigests = new Map<string, string>();
    for (const t of repo.tags) if (t.digest !== null && held.get(t.tag)!.length > 0 && !keptDigests.has(t.digest)) keptDigests.set(t.digest, t.tag);
    // A digest held directly (a rollback pinned by digest) stays even when no tag of it is held.
    for (const h of mine) if (h.digest !== null && !keptDigests.has(h.digest)) keptDigests.set(h.digest, '(digest)');
    const tags = repo.tags.map((t) => {
      const holders = held.get(t.tag)!;
      let verdict: TagVerdict;
      if (holders.length > 0) verdict = { keep: true, why: 'held', holders };
      else if (t.digest === null) verdict = { keep: true, why: 'missing' };
      else if (keptDigests.has(t.digest)) verdict = { keep: true, why: 'shares-digest', with: keptDigests.get(t.digest)! };
      else verdict = { keep: false };
      return { ...t, verdict };
    });
    const deleteDigests = [...new Set(tags.filter((t) => !t.verdict.keep).map((t) => t.digest!))].sort();
    return { repository: repo.repository, tags, deleteDigests };
  });
}

/** The holds of the last `keep` revisions of each app (newest first per app) and of the deployed apps. */
export function holdsOf(
  deployed: readonly { plan: string; app: string; repository: string; tag: string | null; digest: string | null }[],
  revisions: readonly { plan: string; app: string; list: readonly { revision: string; repository: string; tag: string | null; digest: string | null }[] }[],
  keep: number,
): Hold[] {
  const out: Hold[] = deployed.map((d) => ({ repository: d.repository, tag: d.tag, digest: d.digest, holder: { kind: 'deployed', plan: d.plan, app: d.app } }));
  for (const r of revisions) {
    r.list.slice(0, keep).forEach((x, i) => {
      out.push({ repository: x.repository, tag: x.tag, digest: x.digest, holder: { kind: 'history', plan: r.plan, app: r.app, revision: x.revision, n: i + 1 } });
    });
  }
  return out;
}

export interface NodeImage {
  id: string;
  repoTags: readonly string[];
  repoDigests: readonly string[];
  size: number;
}

/**
 * Images a node may drop: only ours (every name in the private registry, and in a repository
 * `inScope` takes), no container (running or not) uses it, and no name of it is held: a
 * rollback to a held revision finds its image still there. `held`: `registry/repo@digest` and
 * `registry/repo:tag` strings.
 */
export function nodeImagesToRemove(images: readonly NodeImage[], usedIds: ReadonlySet<string>, held: ReadonlySet<string>, registry: string, inScope: (repository: string) => boolean): NodeImage[] {
  const prefix = `${registry}/`;
  const repoOf = (name: string) => name.slice(prefix.length).replace(/[@:][^/]*$/, '');
  return images.filter((img) => {
    const names = [...img.repoTags, ...img.repoDigests].filter((n) => n !== '<none>:<none>' && n !== '<none>@<none>');
    if (names.length === 0 || usedIds.has(img.id)) return false;
    if (!names.every((n) => n.startsWith(prefix) && inScope(repoOf(n)))) return false;
    return !names.some((n) => held.has(n));
  });
}
