import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { MAX_NODES, parseBridge, parseNodeCount, parseSubnet, type HostAddress } from '../../src/lab/options.js';

const host: HostAddress[] = [
  { ifname: 'lo', address: '127.0.0.1', prefixlen: 8 },
  { ifname: 'eth0', address: '192.168.5.10', prefixlen: 16 },
  { ifname: 'cmx0', address: '10.77.0.1', prefixlen: 24 },
];

describe('lab options', () => {
  it('takes node counts 1..MAX_NODES and rejects the rest with the flag named', () => {
    assert.equal(parseNodeCount(undefined), 3);
    assert.equal(parseNodeCount('1'), 1);
    assert.equal(parseNodeCount(String(MAX_NODES)), MAX_NODES);
    for (const bad of ['0', '300', '-1', '2.5', 'three', '', ' ']) {
      assert.throws(() => parseNodeCount(bad), (e: unknown) => e instanceof UserError && /^--nodes: /.test(e.message));
    }
  });

  it('takes short bridge names that leave room for veth names', () => {
    assert.equal(parseBridge(undefined), 'cmx0');
    assert.equal(parseBridge('lab_1'), 'lab_1');
    for (const bad of ['', '0abc', 'toolongname', 'a-b', 'a b', 'a;rm']) {
      assert.throws(() => parseBridge(bad), UserError);
    }
  });

  it('takes a free /24 on its network address', () => {
    assert.equal(parseSubnet(undefined, 'cmx0', host), '10.77.0.0/24');
    assert.equal(parseSubnet('10.78.3.0/24', 'cmx0', host), '10.78.3.0/24');
  });

  it('ignores the lab\'s own bridge when checking overlaps', () => {
    assert.equal(parseSubnet('10.77.0.0/24', 'cmx0', host), '10.77.0.0/24');
    assert.throws(() => parseSubnet('10.77.0.0/24', 'other', host), /overlaps 10.77.0.1\/24 on interface cmx0/);
  });

  it('rejects subnets that are not /24, not network addresses, malformed, or overlapping', () => {
    const cases: Array<[string, RegExp]> = [
      ['10.77.0.0/16', /needs a \/24, got \/16/],
      ['10.77.0.5/24', /not a network address/],
      ['10.77.0/24', /expected an IPv4 \/24/],
      ['10.77.0.0', /expected an IPv4 \/24/],
      ['300.1.1.0/24', /expected an IPv4 \/24/],
      ['127.0.9.0/24', /overlaps 127.0.0.1\/8 on interface lo/],
      ['192.168.200.0/24', /overlaps 192.168.5.10\/16 on interface eth0/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => parseSubnet(text, 'cmx0', host), (e: unknown) => e instanceof UserError && re.test(e.message), text);
    }
  });
});
