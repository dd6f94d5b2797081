function safe(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** Docker name of a plan's container: `<plan>-<app>-<slot>`, unique per node. */
export function containerName(plan: string, app: string, slot: number): string {
  return `${safe(plan)}-${safe(app)}-${slot}`;
}

/** The slot a name made by containerName carries, or -1. */
export function slotOf(name: string, plan: string, app: string): number {
  const prefix = `${safe(plan)}-${safe(app)}-`;
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!bare.startsWith(prefix)) return -1;
  const rest = bare.slice(prefix.length);
  return /^[0-9]{1,6}$/.test(rest) ? Number(rest) : -1;
}

/** The plan label of a plan file: its base name without extension. */
export function planName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return safe(base.replace(/\.[^.]*$/, '')) || 'plan';
}
