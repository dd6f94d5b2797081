export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

const ZERO = /^0+$/;
const DEPLOY_BRANCHES = ['refs/heads/main', 'refs/heads/master'];

/** The `old new ref` lines git gives post-receive on stdin. */
export function parseRefLines(text: string): RefUpdate[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 3 && /^[0-9a-f]{40,64}$/.test(p[1]!))
    .map(([o, n, ref]) => ({ old: o!, new: n!, ref: ref! }));
}

/** The update that deploys: a push to main (or else master) that does not delete the branch. */
export function deployRef(updates: readonly RefUpdate[]): RefUpdate | null {
  for (const branch of DEPLOY_BRANCHES) {
    const u = updates.find((x) => x.ref === branch && !ZERO.test(x.new));
    if (u) return u;
  }
  return null;
}
