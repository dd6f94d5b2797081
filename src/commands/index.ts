import type { Command } from 'commander';

/** Every CLI command registers itself here; keep one line per command module. */
export function registerCommands(program: Command): void {
  void program;
}
