/**
 * At most `size` tasks at once; the rest wait their turn in order. A node's dockerd serialises
 * much of a container start (network, mounts): twenty starts sent at once would each wait for the
 * others, and a deadline meant for a hung daemon would fire on a merely busy one.
 */
export class Slots {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((go) => this.waiting.push(go));
    else this.busy++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    }
  }

  get pending(): number {
    return this.waiting.length;
  }
}
