import type { PublicKey } from './ssh-key.js';

/** gitolite's way: each key may run one command, for its user, and nothing else. */
export const KEY_OPTIONS = 'no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding';

/**
 * The git account's authorized_keys: one line per key, the forced command naming its user. User
 * names and key fields were checked when stored (no quotes, spaces or line ends can get in).
 */
export function authorizedKeys(users: readonly { name: string; keys: readonly PublicKey[] }[]): string {
  const lines = ['# Written by cloudmatrix (user add / user key add|rm / user rm): edits here are lost.'];
  for (const u of [...users].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    for (const k of u.keys) lines.push(`command="cloudmatrix git shell ${u.name}",${KEY_OPTIONS} ${k.type} ${k.data} ${u.name}`);
  }
  return `${lines.join('\n')}\n`;
}
