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

export type ListCommand = 'vcl.list' | 'backend.list';

/**
 * Whether to ask `vcl.list`/`backend.list` with `-j`. 4.1 has neither (105, 106). 6.0.16 has
 * `vcl.list -j`, and declares `backend.list -j` but answers `102 JSON unimplemented` once a VCL
 * has a director (ours always do). Later or unknown versions are asked with `-j`; the CLI client
 * falls back to plain text if they refuse.
 */
export function hasJson(v: VarnishVersion | null, cmd: ListCommand): boolean {
  if (v === null) return true;
  return cmd === 'vcl.list' ? atLeast(v, 6, 0) : atLeast(v, 6, 1);
}

/** How a Varnish refuses `-j`: 101 unknown request, 104/105 too many parameters, 106 invalid flag, 102 "JSON unimplemented". */
export function refusesJson(status: number, body: string): boolean {
  return [101, 104, 105, 106].includes(status) || (status === 102 && /json/i.test(body));
}
