import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UserError } from '../errors.js';
import { MAX_SECRET_BYTES, valueFromStdin } from '../model/secrets.js';

/** A terminal: one line, typed without echo. */
function askHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.once('line', (line) => {
      rl.close();
      process.stderr.write('\n');
      resolve(line);
    });
    rl.once('close', () => resolve(''));
  });
}

/** The value of a secret from stdin (a pipe or a file: all of it, less one line end), never from argv. */
export async function readSecretValue(name: string): Promise<string> {
  if (process.stdin.isTTY) return askHidden(`value of ${name} (not shown): `);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_SECRET_BYTES + 2) throw new UserError(`secret ${name}: the value on stdin is longer than ${MAX_SECRET_BYTES} bytes`);
    chunks.push(b);
  }
  return valueFromStdin(Buffer.concat(chunks).toString('utf8'));
}
