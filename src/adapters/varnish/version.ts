/** Which Varnish we talk to, and how each version is spoken to. Pure. */

export type VarnishVersion = { major: number; minor: number; patch: number; text: string };

const VERSION = /varnish-(\d+)\.(\d+)\.(\d+)/;

/** Reads `varnish-X.Y.Z` from `varnishd -V` output or from the admin CLI's banner; null if absent. */
export function parseVarnishVersion(text: string): VarnishVersion | null {
  const m = VERSION.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: `${m[1]}.${m[2]}.${m[3]}` };
}

export const atLeast = (v: VarnishVersion | null, major: number, minor: number): boolean =>
  v !== null && (v.major > major || (v.major === major && v.minor >= minor));

/** 7.1 and later expand `%D` to the default compiler flags, so only the optimisation changes. */
export const CC_COMMAND_D = '%D -O0 -g0';
/** Older versions take the whole command; this one is the default minus -O2 -g and works on 4.1 to 7.x. */
export const CC_COMMAND_EXPLICIT = 'exec gcc -std=gnu99 -O0 -g0 -fpic -shared -Wl,-x -o %o %s';

/**
 * The cc_command for `varnishd -C`. At Varnish's default `-O2 -g`, gcc's variable tracking makes a
 * 1,000-app VCL take minutes; whether it compiles does not depend on optimisation. An unknown
 * version gets the explicit command, which every version understands.
 */
export function checkCcCommand(v: VarnishVersion | null): string {
  return atLeast(v, 7, 1) ? CC_COMMAND_D : CC_COMMAND_EXPLICIT;
}

/** `vcl.list -j` and `backend.list -j` exist from 5.x/6.0 on (6.0 LTS has both); 4.1 has neither. */
export function hasJsonLists(v: VarnishVersion | null): boolean {
  return v === null || atLeast(v, 6, 0);
}
