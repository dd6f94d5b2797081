// Builds dist/ from src/: an ESM bundle of src/cli.ts with code splitting, so that each
// `await import()` of a command becomes a chunk under dist/chunks/ that loads only when the
// command runs. The packages are bundled too (hundreds of CommonJS files of yaml, zod, dockerode,
// grpc-js... cost more to find, read and compile one by one than the chunks that hold them),
// except those with native addons found next to their sources (ssh2, cpu-features), which load
// from node_modules as before.
//
//   node scripts/build.mjs [--packages=external]   (external: our code only, for comparison)
//
// dist/.built carries the time the build started: bin/cloudmatrix.js runs dist/ only when it is
// at least as new as every file under src/ (an edit made during the build makes it stale).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;

// Bundled CommonJS code meets an ESM module: give it `require` (node built-ins, the external
// packages, the rare dynamic require), and find the package root from the chunk, lazily.
const banner = [
  "import { createRequire as __cmxCreateRequire } from 'node:module';",
  'const require = __cmxCreateRequire(import.meta.url), __cmxRequire = require;',
  'let __cmxRootDir;',
  'const __cmxDir = (p) => {',
  "  const { dirname, join } = require('node:path'), { existsSync } = require('node:fs');",
  "  if (__cmxRootDir === undefined) {",
  "    __cmxRootDir = dirname(require('node:url').fileURLToPath(import.meta.url));",
  "    while (!existsSync(join(__cmxRootDir, 'package.json'))) __cmxRootDir = dirname(__cmxRootDir);",
  '  }',
  '  return join(__cmxRootDir, p);',
  '};',
].join('\n');

/**
 * A few packages find files next to their sources (dockerode's and grpc-js's .proto files) by
 * __dirname, which an ESM bundle lacks: it becomes the package's directory under the root.
 */
const dirnamePlugin = {
  name: 'cmx-dirname',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(text)) return undefined;
      const rel = relative(root, args.path).split('\\').join('/');
      const dir = rel.slice(0, rel.lastIndexOf('/'));
      const contents = text
        .replace(/\b__dirname\b/g, `__cmxDir(${JSON.stringify(dir)})`)
        .replace(/\b__filename\b/g, `__cmxDir(${JSON.stringify(rel)})`);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * dockerode requires grpc-js, proto-loader and protobufjs when it loads, for BuildKit sessions and
 * build traces that no command here uses before it runs a build: they stay in node_modules and
 * load on first use (a property read), which takes ~900 KB of code off every Docker command.
 */
const DEFERRED = /^(@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)$/;
const deferPlugin = {
  name: 'cmx-defer',
  setup(b) {
    b.onResolve({ filter: DEFERRED }, async (args) => {
      if (args.pluginData === 'cmx-defer' || !/[\\/]node_modules[\\/]dockerode[\\/]/.test(args.importer)) return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'cmx-defer' });
      if (real.errors.length) return { errors: real.errors };
      return { path: relative(root, real.path).split('\\').join('/'), namespace: 'cmx-defer' };
    });
    b.onLoad({ filter: /.*/, namespace: 'cmx-defer' }, (args) => ({
      loader: 'js',
      contents: [
        'let real;',
        `const load = () => (real ??= __cmxRequire(__cmxDir(${JSON.stringify(args.path)})));`,
        'module.exports = new Proxy({}, {',
        '  get: (_, k) => load()[k],',
        '  has: (_, k) => k in load(),',
        '  ownKeys: () => Reflect.ownKeys(load()),',
        '  getOwnPropertyDescriptor: (_, k) => {',
        '    const d = Reflect.getOwnPropertyDescriptor(load(), k);',
        '    return d && { ...d, configurable: true };',
        '  },',
        '});',
      ].join('\n'),
    }));
  },
};

/** esbuild's options for dist/ (exported for checks that bundle other entries the same way). */
export const buildOptions = (packagesExternal = false) => ({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  ...(packagesExternal
    ? { packages: 'external' }
    : { external: ['ssh2', 'cpu-features', '*.node'], banner: { js: banner }, plugins: [deferPlugin, dirnamePlugin] }),
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist);
  writeFileSync(`${dist}/.started`, '');
  await build(buildOptions(process.argv.includes('--packages=external')));
  renameSync(`${dist}/.started`, `${dist}/.built`);
}
