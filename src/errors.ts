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

export function exitCodeOf(err: unknown): number {
  if (err instanceof UserError || err instanceof EnvError) return err.exitCode;
  return 1;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}
