import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkCcCommand,
  CliParser,
  cliAuthResponse,
  hasJson,
  parseBackendList,
  parsePlainBackendList,
  parsePlainVclList,
  parseVarnishVersion,
  refusesJson,
  parseVclErrors,
  parseVclList,
  quoteCliArg,
  VarnishCli,
  VclCompileError,
} from '../../src/adapters/varnish.js';

const frame = (status: number, body: string) => `${String(status).padEnd(3)} ${String(Buffer.byteLength(body)).padEnd(8)}\n${body}\n`;

test('CliParser: frames split anywhere, several in one chunk, UTF-8 bodies', () => {
  const wire = Buffer.from(frame(200, 'héllo\nworld') + frame(106, '') + frame(300, 'x'.repeat(5000)));
  for (const step of [1, 3, 13, 7000]) {
    const p = new CliParser();
    const out = [];
    for (let i = 0; i < wire.length; i += step) out.push(...p.push(wire.subarray(i, i + step)));
    assert.deepEqual(out.map((r) => [r.status, r.body.length]), [[200, 11], [106, 0], [300, 5000]]);
    assert.equal(out[0]!.body, 'héllo\nworld');
  }
  assert.throws(() => new CliParser().push(Buffer.from('HTTP/1.1 200 OK\r\n')), /bad status line/);
});

test('auth response: SHA256(challenge \\n secret challenge \\n), secret bytes as in the file', () => {
  const secret = Buffer.from('s3cret\n');
  const expected = createHash('sha256').update('abc\ns3cret\nabc\n').digest('hex');
  assert.equal(cliAuthResponse('abc', secret), expected);
});

test('quoteCliArg leaves plain words alone and quotes the rest', () => {
  assert.equal(quoteCliArg('/tmp/a.vcl'), '/tmp/a.vcl');
  assert.equal(quoteCliArg('/tmp/my dir/a"b\\c\n'), '"/tmp/my dir/a\\"b\\\\c\\n"');
});

test('parseVclList and parseBackendList read the -j output of Varnish 7', () => {
  const list = `[ 2, ["vcl.list", "-j"], 1795313440.211,
  { "status": "available", "state": "auto", "temperature": "cold", "busy": 0, "name": "boot" },
  { "status": "active", "state": "auto", "temperature": "warm", "busy": 2, "name": "cmx_1_abcdef01" }
]`;
  assert.deepEqual(parseVclList(list), [
    { name: 'boot', status: 'available', state: 'auto', temperature: 'cold', busy: 0 },
    { name: 'cmx_1_abcdef01', status: 'active', state: 'auto', temperature: 'warm', busy: 2 },
  ]);
  const backends = `[ 3, ["backend.list", "-j"], 1795313440.208, {
    "v.cmx_unrouted": { "type": "backend", "admin_health": "healthy", "probe_message": [0, 0, "healthy"], "last_change": 1 },
    "v.be__web__n1__80": { "type": "backend", "admin_health": "probe", "probe_message": [3, 5, "healthy"], "last_change": 1 },
    "v.be__web__n2__80": { "type": "backend", "admin_health": "probe", "probe_message": [1, 5, "sick"], "last_change": 1 },
    "v.be__web__n3__80": { "type": "backend", "admin_health": "sick", "probe_message": [5, 5, "healthy"], "last_change": 1 }
  } ]`;
  assert.deepEqual(
    parseBackendList(backends).map((b) => [b.vcl, b.name, b.healthy, b.probe]),
    [
      ['v', 'cmx_unrouted', true, null],
      ['v', 'be__web__n1__80', true, { good: 3, window: 5 }],
      ['v', 'be__web__n2__80', false, { good: 1, window: 5 }],
      ['v', 'be__web__n3__80', false, { good: 5, window: 5 }],
    ],
  );
  assert.throws(() => parseVclList('not json'), /unexpected answer/);
});

test('parseVclErrors maps vcl.inline locations to the VCL lines', () => {
  const vcl = 'vcl 4.0;\nbackend b { .host = "x"; }\nsub vcl_recv { set req.http.x = foo; }\n';
  const out = `Message from VCC-compiler:
Symbol not found: 'foo'
At: ('<vcl.inline>' Line 3 Pos 33) -- (Pos 35)
sub vcl_recv { set req.http.x = foo; }
--------------------------------###---

In backend specification starting at:
('<vcl.inline>' Line 2 Pos 1)
backend b { .host = "x"; }
#######

Running VCC-compiler failed, exited with 2
VCL compilation failed`;
  assert.deepEqual(parseVclErrors(out, vcl), [
    { line: 3, column: 33, message: "Symbol not found: 'foo'", text: 'sub vcl_recv { set req.http.x = foo; }' },
    { line: 2, column: 1, message: 'In backend specification starting at:', text: 'backend b { .host = "x"; }' },
  ]);
});

/** A fake varnishd CLI: challenge/response auth, then canned answers; records what it received. */
async function fakeVarnish(secret: string, answer: (cmd: string, sock: Socket) => string | null, banner = 'banner') {
  const received: string[] = [];
  const server = createServer((sock) => {
    const challenge = 'abcdefghijklmnopqrstuvwxyzabcdef';
    let authed = false;
    let buf = '';
    sock.write(frame(107, `${challenge}\n\nAuthentication required.\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      for (;;) {
        const heredoc = /^(.*) << (\S+)\n/.exec(buf);
        let cmd: string;
        if (heredoc) {
          const end = buf.indexOf(`\n${heredoc[2]}\n`);
          if (end < 0) return;
          cmd = buf.slice(0, end + heredoc[2]!.length + 1);
          buf = buf.slice(end + heredoc[2]!.length + 2);
        } else {
          const nl = buf.indexOf('\n');
          if (nl < 0) return;
          cmd = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
        }
        received.push(cmd);
        if (!authed) {
          const ok = cmd === `auth ${cliAuthResponse(challenge, Buffer.from(secret))}`;
          authed = ok;
          sock.write(ok ? frame(200, banner) : frame(107, `${challenge}\n`));
          continue;
        }
        const a = answer(cmd, sock);
        if (a !== null) sock.write(a);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { received, admin: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

test('VarnishCli: authenticates, sends heredocs, maps status codes to errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-cli-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'top secret\n');
  const fake = await fakeVarnish('top secret\n', (cmd) => {
    if (cmd.startsWith('vcl.inline bad ')) return frame(106, "Message from VCC-compiler:\nExpected ';'\n('<vcl.inline>' Line 2 Pos 3)\n");
    if (cmd.startsWith('vcl.inline')) return frame(200, 'VCL compiled.');
    if (cmd === 'vcl.list -j') return frame(200, '[2, ["vcl.list","-j"], 1, {"name":"boot","status":"active","state":"auto","temperature":"warm","busy":0}]');
    if (cmd === 'vcl.use nope') return frame(106, 'No VCL named nope known.');
    return frame(101, 'Unknown request.');
  });
  const cli = new VarnishCli({ admin: fake.admin, secretFile, timeoutMs: 2000 });
  try {
    await cli.vclInline('good', 'vcl 4.0;\nCMX_EOF_x\n');
    assert.match(fake.received[1]!, /^vcl\.inline good << (CMX_EOF_[0-9a-f]{16})\nvcl 4\.0;\nCMX_EOF_x\n\1$/);
    assert.deepEqual((await cli.vclList()).map((v) => v.name), ['boot']);
    await assert.rejects(cli.vclUse('nope'), /vcl.use nope: 106 No VCL named nope known/);
    await assert.rejects(cli.vclInline('bad', 'vcl 4.0;\nxx\n'), (err: unknown) => err instanceof VclCompileError && /line 2:3: Expected ';' at: xx/.test(err.message));
    await assert.rejects(cli.vclUse('bad name'), /not a valid VCL name/);
    assert.equal(fake.received.filter((c) => c.startsWith('auth ')).length, 1, 'one connection, one auth');
  } finally {
    cli.close();
    fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('VarnishCli: a wrong secret is an EnvError that does not show the secret', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-cli-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'wrong-secret-value');
  const fake = await fakeVarnish('right', () => frame(200, ''));
  const cli = new VarnishCli({ admin: fake.admin, secretFile, timeoutMs: 2000 });
  try {
    await assert.rejects(cli.vclList(), (err: Error) => /authentication failed/.test(err.message) && !err.message.includes('wrong-secret-value'));
  } finally {
    cli.close();
    fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('VarnishCli: a silent server times out, a dropped connection fails, and the next command reconnects', async () => {
  let drop = true;
  const fake = await fakeVarnish('s', (cmd, sock) => {
    if (cmd === 'vcl.list -j' && drop) {
      drop = false;
      sock.destroy();
      return null;
    }
    if (cmd === 'vcl.discard slow') return null;
    return frame(200, '[2, [], 1]');
  });
  const dir = mkdtempSync(join(tmpdir(), 'cmx-cli-'));
  writeFileSync(join(dir, 's'), 's');
  const cli = new VarnishCli({ admin: fake.admin, secretFile: join(dir, 's'), timeoutMs: 300 });
  try {
    await assert.rejects(cli.vclList(), /connection closed/);
    assert.deepEqual(await cli.vclList(), []);
    await assert.rejects(cli.vclDiscard('slow'), /no answer within 300 ms/);
    assert.deepEqual(await cli.vclList(), []);
    const refused = new VarnishCli({ admin: '127.0.0.1:1', timeoutMs: 300 });
    await assert.rejects(refused.vclList(), /varnish admin 127.0.0.1:1: connect ECONNREFUSED/);
  } finally {
    cli.close();
    fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('VarnishCli: backend.list past cli_limit is fetched again in slices by name prefix', async () => {
  const names = ['cmx_unrouted', 'be__a__n1__80', 'be__a__n2__80', 'be__b__n1__80', 'dr__a', 'dr__b'];
  const glob = (p: string) => new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
  const fake = await fakeVarnish('s', (cmd) => {
    const m = /^backend\.list -j (\S+)$/.exec(cmd);
    if (!m) return frame(101, 'Unknown request.');
    const hits = names.filter((n) => glob(m[1]!).test(n));
    if (hits.length > 2) return frame(201, '[ 2, ["backend.list"], 1, { "v.cut": {');
    const body = Object.fromEntries(hits.map((n) => [`v.${n}`, { type: 'backend', admin_health: 'healthy', probe_message: [0, 0, 'healthy'] }]));
    return frame(200, JSON.stringify([2, ['backend.list', '-j'], 1, body]));
  });
  const dir = mkdtempSync(join(tmpdir(), 'cmx-cli-'));
  writeFileSync(join(dir, 's'), 's');
  const cli = new VarnishCli({ admin: fake.admin, secretFile: join(dir, 's'), timeoutMs: 2000 });
  try {
    assert.deepEqual((await cli.backendList()).map((b) => b.name).sort(), [...names].sort());
    assert.ok(!fake.received.some((c) => c === 'backend.list -j -*'), 'no pattern that reads as a flag');
  } finally {
    cli.close();
    fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- Versions: real answers of 4.1.11, 6.0.16 and 7.1.1 (test/fixtures/varnish/capture.ts wrote them).

type Fixture = { version: string; banner: string; commands: Record<string, { status: number; body: string }> };
const FIXTURES = fileURLToPath(new URL('../fixtures/varnish/', import.meta.url));
const fixtures: Fixture[] = readdirSync(FIXTURES)
  .filter((f) => /^\d+\.\d+\.\d+\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Fixture);

test('fixtures of 4.1.11, 6.0.16 and 7.1.1 are there', () => {
  assert.deepEqual(fixtures.map((f) => f.version).sort(), ['4.1.11', '6.0.16', '7.1.1']);
});

test('parseVarnishVersion reads varnishd -V and the CLI banner', () => {
  assert.deepEqual(parseVarnishVersion('varnishd (varnish-7.1.1 revision 7cee1c581bead20e88d101ab3d72afb29f14d87a)\nCopyright'), { major: 7, minor: 1, patch: 1, text: '7.1.1' });
  assert.equal(parseVarnishVersion('varnishd (varnish-4.1.11 revision NOGIT)')?.text, '4.1.11');
  assert.equal(parseVarnishVersion('no version here'), null);
  for (const f of fixtures) assert.equal(parseVarnishVersion(f.banner)?.text, f.version, `banner of ${f.version}`);
});

test('the compile check cc_command: %D from 7.1 on, an explicit -O0 command before (and when unknown)', () => {
  const v = (t: string) => parseVarnishVersion(`varnish-${t}`);
  assert.equal(checkCcCommand(v('7.1.1')), '%D -O0 -g0');
  assert.equal(checkCcCommand(v('8.0.0')), '%D -O0 -g0');
  for (const old of [v('7.0.3'), v('6.0.16'), v('4.1.11'), null]) {
    const cc = checkCcCommand(old);
    assert.ok(!cc.includes('%D') && /-O0 -g0/.test(cc) && /-o %o %s$/.test(cc), cc);
  }
  assert.deepEqual([hasJson(v('4.1.11'), 'vcl.list'), hasJson(v('4.1.11'), 'backend.list')], [false, false]);
  assert.deepEqual([hasJson(v('6.0.16'), 'vcl.list'), hasJson(v('6.0.16'), 'backend.list')], [true, false]);
  assert.deepEqual([hasJson(v('7.1.1'), 'vcl.list'), hasJson(v('7.1.1'), 'backend.list')], [true, true]);
  assert.deepEqual([hasJson(null, 'vcl.list'), hasJson(null, 'backend.list')], [true, true]);
});

for (const f of fixtures) {
  test(`varnish ${f.version}: the plain vcl.list and backend.list answers parse, and agree with -j where it exists`, () => {
    const vcls = parsePlainVclList(f.commands['vcl.list']!.body);
    assert.deepEqual(
      vcls.map((x) => [x.name, x.status, x.state, x.temperature, x.busy]),
      [
        ['boot', 'available', f.version.startsWith('4.') ? 'auto' : 'cold', 'cold', 0],
        ['cmx_1700000000000_0123abcd', 'available', 'auto', 'warm', 0],
        ['cmx_1700000000001_4567cdef', 'active', 'auto', 'warm', 0],
      ],
    );
    const backends = parsePlainBackendList(f.commands['backend.list']!.body);
    const byName = Object.fromEntries(backends.map((b) => [b.name, b]));
    assert.ok(backends.every((b) => b.vcl === 'cmx_1700000000001_4567cdef'));
    assert.deepEqual([byName.be__web__node1__8080?.healthy, byName.be__web__node1__8080?.probe], [true, { good: 3, window: 3 }]);
    assert.deepEqual([byName.be__web__node2__8081?.healthy, byName.be__web__node2__8081?.probe], [false, { good: 0, window: 3 }]);
    assert.deepEqual([byName.cmx_unrouted?.healthy, byName.cmx_unrouted?.probe], [true, null]);
    // -p adds indented detail lines; a pattern narrows the list.
    assert.deepEqual(parsePlainBackendList(f.commands['backend.list -p']!.body), backends);
    assert.deepEqual(parsePlainBackendList(f.commands['backend.list be__*']!.body).map((b) => b.name), ['be__web__node1__8080', 'be__web__node2__8081']);
    // Where -j answers, it says the same; where it does not, the refusal is recognised.
    const vj = f.commands['vcl.list -j']!;
    if (vj.status === 200) assert.deepEqual(parseVclList(vj.body), vcls);
    else assert.ok(refusesJson(vj.status, vj.body), `${vj.status} ${vj.body}`);
    const bj = f.commands['backend.list -j']!;
    if (bj.status === 200) {
      const json = parseBackendList(bj.body);
      for (const b of backends) {
        const j = json.find((x) => x.name === b.name);
        assert.deepEqual(j && [j.vcl, j.admin, j.healthy, j.probe], [b.vcl, b.admin, b.healthy, b.probe], b.name);
      }
    } else assert.ok(refusesJson(bj.status, bj.body), `${bj.status} ${bj.body}`);
    // What each version does with -j: 4.1 neither, 6.0.16 vcl.list only (backend.list: 102 JSON unimplemented).
    const v = parseVarnishVersion(f.banner);
    assert.deepEqual([vj.status === 200, bj.status === 200], [hasJson(v, 'vcl.list'), hasJson(v, 'backend.list')]);
  });
}

test('plain lists: a discarded busy VCL, labels, a forced-sick backend; garbage is an error', () => {
  assert.deepEqual(
    parsePlainVclList(
      'discarded  auto/cooling       3 cmx_1_abcdef01\navailable   auto    warm         0    lbl -> cmx_2_abcdef02\n' +
        "available  label/warm        0 cmx-p-web -> cmxa_1_abcdef03 (2 return(vcl)'s)\n" +
        'available  auto/warm         0 cmxa_1_abcdef03 (1 label)\n' +
        'available\tauto\twarm\t0\tcmxa_2_abcdef04\t<-\t(2 labels)\n',
    ),
    [
      { name: 'cmx_1_abcdef01', status: 'discarded', state: 'auto', temperature: 'cooling', busy: 3 },
      { name: 'lbl', status: 'available', state: 'auto', temperature: 'warm', busy: 0, label: 'cmx_2_abcdef02', refs: 0 },
      { name: 'cmx-p-web', status: 'available', state: 'label', temperature: 'warm', busy: 0, label: 'cmxa_1_abcdef03', refs: 2 },
      { name: 'cmxa_1_abcdef03', status: 'available', state: 'auto', temperature: 'warm', busy: 0, labels: 1 },
      { name: 'cmxa_2_abcdef04', status: 'available', state: 'auto', temperature: 'warm', busy: 0, labels: 2 },
    ],
  );
  const b = parsePlainBackendList('Backend name                   Admin      Probe\nv.be__a probe      Healthy 3/3\nv.be__b sick      Healthy 3/3\n');
  assert.deepEqual(b.map((x) => [x.name, x.admin, x.healthy]), [['be__a', 'probe', true], ['be__b', 'sick', false]]);
  assert.throws(() => parsePlainVclList('Unknown request.\n'), /vcl.list: unexpected line/);
  assert.throws(() => parsePlainBackendList('nonsense\n'), /backend.list: unexpected line/);
});

for (const [version, expected] of [
  ['4.1.11', []],
  ['6.0.16', ['vcl.list -j']],
  ['7.1.1', ['vcl.list -j', 'backend.list -j *']],
] as const) test(`VarnishCli on ${version} (the banner says so): -j only where it answers (${expected.join(', ') || 'none'})`, async () => {
  const f = fixtures.find((x) => x.version === version)!;
  const fake = await fakeVarnish('s', (cmd) => {
    const a = f.commands[cmd.replace(/ \*$/, '')];
    return a ? frame(a.status, a.body) : frame(101, 'Unknown request.');
  }, f.banner);
  const dir = mkdtempSync(join(tmpdir(), 'cmx-cli-'));
  writeFileSync(join(dir, 's'), 's');
  const cli = new VarnishCli({ admin: fake.admin, secretFile: join(dir, 's'), timeoutMs: 2000 });
  try {
    assert.equal((await cli.vclList()).find((v) => v.status === 'active')?.name, 'cmx_1700000000001_4567cdef');
    assert.equal(cli.version?.text, version);
    const backends = (await cli.backendList()).filter((b) => !b.name.startsWith('dr__'));
    assert.deepEqual(backends.map((b) => `${b.name} ${b.healthy}`), ['be__web__node1__8080 true', 'be__web__node2__8081 false', 'cmx_unrouted true']);
    await cli.vclList();
    assert.deepEqual(fake.received.filter((c) => c.includes('-j')), [...expected, ...expected.filter((c) => c.startsWith('vcl'))]);
  } finally {
    cli.close();
    fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('VarnishCli: a Varnish that does not say its version and refuses -j gets plain text from then on', async () => {
  const f = fixtures.find((x) => x.version === '4.1.11')!;
  const fake = await fakeVarnish('s', (cmd) => {
    const a = f.commands[cmd.replace(/ \*$/, '')];
    return a ? frame(a.status, a.body) : frame(101, 'Unknown request.');
  });
  const dir = mkdtempSync(join(tmpdir(), 'cmx-cli-'));
  writeFileSync(join(dir, 's'), 's');
  const cli = new VarnishCli({ admin: fake.admin, secretFile: join(dir, 's'), timeoutMs: 2000 });
  try {
    assert.equal((await cli.vclList()).length, 3);
    assert.equal((await cli.backendList()).length, 3);
    assert.equal((await cli.vclList()).length, 3);
    assert.equal((await cli.backendList()).length, 3);
    assert.deepEqual(fake.received.filter((c) => c.includes('-j')), ['vcl.list -j', 'backend.list -j *'], 'each asked with -j once');
  } finally {
    cli.close();
    fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
