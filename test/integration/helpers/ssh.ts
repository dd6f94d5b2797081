import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';

/** The base64 key blob that known_hosts records for a host name or address. */
export function knownHostKey(knownHostsFile: string, host: string): Buffer | null {
  for (const line of readFileSync(knownHostsFile, 'utf8').split('\n')) {
    const [hosts, , key] = line.trim().split(/\s+/);
    if (hosts && key && hosts.split(',').includes(host)) return Buffer.from(key, 'base64');
  }
  return null;
}

/** Runs one command over SSH with strict host key checking; rejects when the key does not match. */
export function sshExec(opts: { host: string; key: string; expectedHostKey: Buffer; command: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    conn
      .on('ready', () => {
        conn.exec(opts.command, (err, stream) => {
          if (err) return reject(err);
          let out = '';
          let errOut = '';
          stream.on('data', (d: Buffer) => (out += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
          stream.on('close', (code: number) => {
            conn.end();
            if (code === 0) resolve(out);
            else reject(new Error(`${opts.command}: exit ${code}: ${errOut.trim()}`));
          });
        });
      })
      .on('error', reject)
      .connect({
        host: opts.host,
        username: 'root',
        privateKey: readFileSync(opts.key),
        readyTimeout: 10_000,
        hostVerifier: (key: Buffer) => key.equals(opts.expectedHostKey),
      });
  });
}
