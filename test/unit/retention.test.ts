import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decideRetention, holderText, holdsOf, nodeImagesToRemove, type Hold, type NodeImage, type RepoTags } from '../../src/model/retention.js';

const d = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
const deployed = (repository: string, tag: string | null, digest: string | null = null): Hold => ({ repository, tag, digest, holder: { kind: 'deployed', plan: 'p', app: 'web' } });

describe('registry retention', () => {
  it('keeps held tags, tags sharing a kept digest, untouched repos; deletes the rest by digest once', () => {
    const repos: RepoTags[] = [
      { repository: 'cloud/web', tags: [
        { tag: '1', digest: d(1) }, { tag: '2', digest: d(2) }, { tag: 'latest', digest: d(2) }, { tag: '3', digest: d(3) }, { tag: '3b', digest: d(3) }, { tag: 'gone', digest: null },
      ] },
      { repository: 'cloud/other', tags: [{ tag: 'x', digest: d(9) }] },
    ];
    const [web, other] = decideRetention(repos, [deployed('cloud/web', '2')]);
    assert.deepEqual(web!.tags.map((t) => [t.tag, t.verdict.keep ? t.verdict.why : 'delete']), [
      ['1', 'delete'], ['2', 'held'], ['latest', 'shares-digest'], ['3', 'delete'], ['3b', 'delete'], ['gone', 'missing'],
    ]);
    assert.deepEqual(web!.deleteDigests, [d(1), d(3)]);
    assert.deepEqual(other!.deleteDigests, []);
    assert.equal(other!.tags[0]!.verdict.keep && other!.tags[0]!.verdict.why, 'unmanaged');
  });

  it('a digest held directly keeps every tag at it (a rollback whose tag moved)', () => {
    const [web] = decideRetention([{ repository: 'cloud/web', tags: [{ tag: '1', digest: d(1) }, { tag: '2', digest: d(2) }] }], [deployed('cloud/web', 'moved', d(1)), deployed('cloud/web', '2')]);
    assert.deepEqual(web!.deleteDigests, []);
  });

  it('property: never deletes a digest a kept tag points to; every held tag and held digest survives; the rest goes', () => {
    const tagArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const digestArb = fc.option(fc.integer({ min: 1, max: 5 }).map(d), { nil: null, freq: 6 });
    const repoArb = fc.uniqueArray(fc.record({ tag: tagArb, digest: digestArb }), { selector: (t) => t.tag, maxLength: 6 });
    const holdArb = fc.record({ tag: fc.option(tagArb, { nil: null }), digest: fc.option(fc.integer({ min: 1, max: 5 }).map(d), { nil: null }) });
    fc.assert(fc.property(repoArb, fc.array(holdArb, { maxLength: 4 }), (tags, hs) => {
      const holds = hs.map((h) => deployed('r', h.tag, h.digest));
      const [r] = decideRetention([{ repository: 'r', tags }], holds);
      const deleted = new Set(r!.deleteDigests);
      assert.equal(deleted.size, r!.deleteDigests.length, 'each digest once');
      for (const t of r!.tags) {
        if (t.verdict.keep) assert.ok(t.digest === null || !deleted.has(t.digest), `kept ${t.tag} at a deleted digest`);
        else assert.ok(t.digest !== null && deleted.has(t.digest));
        const isHeld = holds.some((h) => h.tag === t.tag || (h.digest !== null && h.digest === t.digest));
        if (isHeld) assert.ok(t.verdict.keep && t.verdict.why === 'held');
      }
      for (const h of holds) if (h.digest) assert.ok(!deleted.has(h.digest));
      if (holds.length === 0) assert.equal(deleted.size, 0, 'a repository nothing holds is left alone');
      // what is deleted is exactly the digests no kept tag and no hold points to
      const keptDigests = new Set([...r!.tags.filter((t) => t.verdict.keep).map((t) => t.digest), ...holds.map((h) => h.digest)]);
      if (holds.length) assert.deepEqual([...deleted].sort(), [...new Set(tags.map((t) => t.digest).filter((x): x is string => x !== null && !keptDigests.has(x)))].sort());
    }));
  });

  it('holds: the deployed apps and the newest `keep` revisions per app', () => {
    const list = [1, 2, 3, 4].map((n) => ({ revision: `rev${n}`, repository: 'cloud/web', tag: String(n), digest: d(n) }));
    const holds = holdsOf([{ plan: 'p', app: 'web', repository: 'cloud/web', tag: '1', digest: null }], [{ plan: 'p', app: 'web', list }], 2);
    assert.deepEqual(holds.map((h) => [h.tag, h.holder.kind]), [['1', 'deployed'], ['1', 'history'], ['2', 'history']]);
    assert.equal(holderText(holds[2]!.holder), 'p/web history #2 (rev2)');
    assert.equal(holderText(holds[0]!.holder), 'deployed p/web');
  });
});

describe('node image prune', () => {
  const R = '10.77.0.1:5000';
  const img = (id: string, tags: string[], digests: string[] = []): NodeImage => ({ id, repoTags: tags, repoDigests: digests, size: 1 });
  it('drops only unused, unheld images of the private registry in scope', () => {
    const images = [
      img('used', [`${R}/cloud/web:1`]),
      img('held', [], [`${R}/cloud/web@${d(2)}`]),
      img('old', [`${R}/cloud/web:3`], [`${R}/cloud/web@${d(3)}`]),
      img('foreign', ['busybox:latest']),
      img('mixed', [`${R}/cloud/web:4`, 'busybox:x']),
      img('dangling', ['<none>:<none>'], ['<none>@<none>']),
      img('otherrepo', [`${R}/cloud/api:1`]),
    ];
    const out = nodeImagesToRemove(images, new Set(['used']), new Set([`${R}/cloud/web@${d(2)}`]), R, (r) => r === 'cloud/web');
    assert.deepEqual(out.map((i) => i.id), ['old']);
    const all = nodeImagesToRemove(images, new Set(), new Set(), R, () => true);
    assert.deepEqual(all.map((i) => i.id), ['used', 'held', 'old', 'otherrepo']);
  });
});
