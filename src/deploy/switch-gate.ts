/**
 * Lets the apps of one deploy wave that turn healthy close together share one Varnish reload (a
 * VCL compile costs far more than a container start): a switch waits while other apps of the
 * wave are still starting, until they all reach their switch or end, and never longer than
 * `holdMs` for the first one waiting. A deploy of one app never waits.
 */
export class SwitchGate {
  private readonly starting = new Set<string>();
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly holdMs: number) {}

  begin(app: string): void {
    this.starting.add(app);
  }

  /** The app is done (deployed, failed, unchanged): nobody waits for it any more. */
  end(app: string): void {
    this.starting.delete(app);
    if (this.starting.size === 0) this.release();
  }

  /** Resolves when the app may switch. */
  arrive(app: string): Promise<void> {
    this.starting.delete(app);
    if (this.starting.size === 0) {
      this.release();
      return Promise.resolve();
    }
    return new Promise<void>((go) => {
      this.waiters.push(go);
      this.timer ??= setTimeout(() => this.release(), this.holdMs);
    });
  }

  private release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.waiters;
    this.waiters = [];
    for (const go of waiting) go();
  }
}
