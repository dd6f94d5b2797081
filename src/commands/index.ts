import type { Command } from 'commander';
import { registerLab } from './lab.js';

/** Every CLI command registers itself here; keep one line per command module. */
export function registerCommands(program: Command): void {
  registerLab(program);
}
