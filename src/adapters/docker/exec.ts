import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecOptions {
  cmd: string[];
  /** a pseudo-terminal in the container (its output is then one raw stream) */
  tty: boolean;
  /** attach the command's stdin */
  stdin: boolean;
  /** the terminal's size at the start (with tty) */
  size?: TerminalSize;
}

export interface TerminalSize {
  rows: number;
  cols: number;
}

export interface ExecState {
  running: boolean;
  /** null while it runs */
  exitCode: number | null;
}

/**
 * An exec's attached connection (the hijacked HTTP connection, an SSH channel here). It has no
 * deadline of its own: it lasts as long as the command, and ends when the remote end closes it
 * (or the SSH connection under it drops, which its keepalive notices).
 */
export interface ExecAttach {
  /** output goes to these; without a TTY Docker's frames are demultiplexed into the two */
  output(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
  /** bytes for the command's stdin */
  write(chunk: Buffer): void;
  /** end of stdin: the command reads EOF, its output still comes */
  endInput(): void;
  /** resolves when the remote end closed the connection (the command ended), rejects when it broke */
  readonly done: Promise<void>;
  close(): void;
}

/** POST /exec/{id}/start, hijacked: resolves with the raw connection once Docker answered 101. */
export async function startHijacked(docker: Docker, execId: string, tty: boolean, stdin: boolean, abortSignal: AbortSignal): Promise<Duplex> {
  const exec = docker.getExec(execId);
  return (await exec.start({ hijack: true, stdin, Detach: false, Tty: tty, abortSignal })) as Duplex;
}

export class HijackedExec implements ExecAttach {
  readonly done: Promise<void>;

  constructor(private readonly docker: Docker, private readonly sock: Duplex, private readonly tty: boolean) {
    this.done = new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      sock.once('end', () => settle(null));
      sock.once('close', () => settle(null));
      sock.once('error', (e: Error) => settle(e));
    });
    // Awaited by the caller; a rejection must not be unhandled before it is.
    this.done.catch(() => undefined);
  }

  output(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
    if (this.tty) this.sock.on('data', (chunk: Buffer) => stdout.write(chunk));
    else this.docker.modem.demuxStream(this.sock, stdout, stderr);
  }

  write(chunk: Buffer): void {
    if (!this.sock.writableEnded && !this.sock.destroyed) this.sock.write(chunk);
  }

  endInput(): void {
    if (!this.sock.writableEnded && !this.sock.destroyed) this.sock.end();
  }

  close(): void {
    this.sock.destroy();
  }
}
