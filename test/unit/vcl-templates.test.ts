import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { DEFAULT_TEMPLATES_DIR, readVclTemplates } from '../../src/adapters/vcl-templates.js';

const withDir = (fn: (dir: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-tpl-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('the shipped templates: main plus every other *.vcl.mustache as a partial by base name', () => {
  const t = readVclTemplates();
  assert.equal(t.source, DEFAULT_TEMPLATES_DIR);
  assert.match(t.main, /^vcl 4\.0;/);
  assert.deepEqual(Object.keys(t.partials).sort(), ['app', 'backends', 'delivery', 'directors', 'errors', 'forwarded', 'host-tree', 'retry', 'routing', 'top', 'top-host-tree']);
  assert.equal(readVclTemplates(), t, 'unchanged files are not read again');
});

test('an edited, added or removed template is read again (mtime, size, file list)', () => {
  withDir((dir) => {
    const main = join(dir, 'main.vcl.mustache');
    writeFileSync(main, 'one');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const first = readVclTemplates(dir);
    assert.deepEqual([first.main, first.partials], ['one', {}]);
    writeFileSync(main, 'two');
    utimesSync(main, new Date(), new Date(Date.now() + 5000));
    assert.equal(readVclTemplates(dir).main, 'two');
    writeFileSync(join(dir, 'extra.vcl.mustache'), 'x');
    assert.deepEqual(readVclTemplates(dir).partials, { extra: 'x' });
    unlinkSync(join(dir, 'extra.vcl.mustache'));
    assert.deepEqual(readVclTemplates(dir).partials, {});
  });
});

test('a dir without main.vcl.mustache, or no dir at all, is a UserError naming it', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'routing.vcl.mustache'), 'x');
    assert.throws(() => readVclTemplates(dir), (e: Error) => e instanceof UserError && e.message === `${dir}: no main.vcl.mustache`);
    assert.throws(() => readVclTemplates(join(dir, 'nope')), (e: Error) => e instanceof UserError && e.message.startsWith(`${join(dir, 'nope')}: cannot read VCL templates`));
  });
});
