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

/** Plan names the tool uses itself: `manual` labels the containers that run-container starts. */
export const RESERVED_PLAN_NAMES: readonly string[] = ['manual'];

/** Why a plan may not have this name, or null when it may. */
export function reservedPlanName(name: string): string | null {
  return RESERVED_PLAN_NAMES.includes(name.toLowerCase())
    ? `the plan name "${name}" is reserved (cloudmatrix labels the containers that run-container starts with it); rename the plan`
    : null;
}
