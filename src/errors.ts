/** Bad input from the user: one line, exit status 2, no stack. */
export class UserError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** The environment failed (daemon down, package missing, network): exit status 1. */
export class EnvError extends Error {
  readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvError';
  }
}

/** Stopped by a signal (Ctrl-C, SIGTERM) before the work was done: exit status 1, not bad input. */
export class Interrupted extends EnvError {
  constructor(message: string) {
    super(message);
    this.name = 'Interrupted';
  }
}

/**
 * A command that ran to its end and already told the user what failed (a deploy with a failed
 * app, ps with an unreachable node): exit status 1, and nothing more is printed unless a message is given.
 */
export class CommandFailed extends Error {
  readonly exitCode = 1;
  constructor(message = '') {
    super(message);
    this.name = 'CommandFailed';
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UserError || err instanceof EnvError || err instanceof CommandFailed) return err.exitCode;
  return 1;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}

/** The caller may not do this (a role or app they lack): the API answers 403; the CLI exits 2 with the one line. */
export class Forbidden extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'Forbidden';
  }
}
