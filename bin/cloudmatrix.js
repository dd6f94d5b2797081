#!/usr/bin/env node
// Runs the build in dist/ when it is at least as new as every file under src/ (a few ms of
// stat calls), else the sources through tsx, so that an edited source never runs stale.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);

function newest(dir) {
  let t = statSync(dir).mtimeMs; // a file added, removed or renamed touches its directory
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

function distIsFresh() {
  try {
    // dist/.built carries the time its build started (see the build script in package.json).
    return statSync(new URL('dist/.built', root)).mtimeMs >= newest(fileURLToPath(new URL('src', root)));
  } catch {
    return false;
  }
}

if (distIsFresh()) {
  await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
