import { existsSync } from 'node:fs';
import { SecretStore, secretStorePath } from '../adapters/store/secrets.js';
import { redact } from '../model/secrets.js';

/**
 * Every stored secret's value replaced by [secret] in a line of output, whichever app it is
 * for. A store that cannot be read fails the command rather than show a line unredacted.
 */
export function secretRedactor(stateDir: string): (text: string) => string {
  if (!existsSync(secretStorePath(stateDir))) return (text) => text;
  const store = new SecretStore(stateDir);
  const values = [...store.values(store.list().map((e) => e.name)).values()];
  return values.length === 0 ? (text) => text : (text) => redact(text, values);
}
