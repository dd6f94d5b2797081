import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appKey, parseAppRef, resolveAppRef, type AppId } from '../../src/model/app-ref.js';
import { UserError } from '../../src/errors.js';

const deployed: AppId[] = [
  { plan: 'hello', app: 'web' },
  { plan: 'staging', app: 'web' },
  { plan: 'hello', app: 'api' },
];

describe('app references', () => {
  it('parses APP and PLAN/APP; refuses anything else naming the argument', () => {
    assert.deepEqual(parseAppRef('web'), { app: 'web' });
    assert.deepEqual(parseAppRef('staging/web'), { plan: 'staging', app: 'web' });
    for (const bad of ['', 'a/b/c', '/web', 'web/', 'we b', '-x']) {
      assert.throws(() => parseAppRef(bad, '--apps'), (e: Error) => e instanceof UserError && e.message.startsWith('--apps: '));
    }
  });

  it('PLAN/APP resolves exactly; APP alone only when one plan has it', () => {
    assert.deepEqual(resolveAppRef({ plan: 'staging', app: 'web' }, deployed), { plan: 'staging', app: 'web' });
    assert.deepEqual(resolveAppRef({ app: 'api' }, deployed), { plan: 'hello', app: 'api' });
    assert.throws(() => resolveAppRef({ app: 'web' }, deployed), /ambiguous: hello\/web, staging\/web; write PLAN\/APP/);
    assert.throws(() => resolveAppRef({ plan: 'prod', app: 'web' }, deployed), /no deployed app "prod\/web" \(deployed: hello\/web, staging\/web\)/);
    assert.throws(() => resolveAppRef({ app: 'nope' }, deployed), /no deployed app "nope"$/);
  });

  it('property: a resolved reference is always one of the deployed apps and matches what was written', () => {
    const id = fc.record({ plan: fc.constantFrom('a', 'b', 'c'), app: fc.constantFrom('x', 'y', 'z') });
    fc.assert(
      fc.property(fc.array(id, { maxLength: 8 }), id, fc.boolean(), (list, want, withPlan) => {
        const ref = withPlan ? want : { app: want.app };
        try {
          const got = resolveAppRef(ref, list);
          assert.ok(list.some((d) => appKey(d) === appKey(got)));
          assert.equal(got.app, want.app);
          if (withPlan) assert.equal(got.plan, want.plan);
          else assert.equal(new Set(list.filter((d) => d.app === want.app).map(appKey)).size, 1);
        } catch (e) {
          assert.ok(e instanceof UserError);
          const n = new Set(list.filter((d) => d.app === want.app && (!withPlan || d.plan === want.plan)).map(appKey)).size;
          assert.notEqual(n, 1);
        }
      }),
    );
  });
});
