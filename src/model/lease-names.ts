// Hostname -> lease index without a string per lease: an open-addressing table over the
// text's own characters, ASCII case folded. A Map of sliced keys cost a third of the parse.

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

export function nameHash(t: string, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ fold(t.charCodeAt(i)), 16777619);
  return h | 0;
}

function sameName(t: string, a: number, ae: number, b: number, be: number): boolean {
  if (ae - a !== be - b) return false;
  for (let i = 0; i < ae - a; i++) if (fold(t.charCodeAt(a + i)) !== fold(t.charCodeAt(b + i))) return false;
  return true;
}

export class NameTable {
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private places = new Int32Array(1024);
  /** lease indexes, one per name, in order of the name's first appearance */
  readonly order: number[] = [];

  constructor(private readonly text: string) {}

  /** The slot holding the lease of that name (text[s, e)), or where it would go. */
  private slotOf(recs: Float64Array, s: number, e: number, h: number): number {
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = this.slots[i] - 1;
      if (at < 0) return i;
      if (this.hashes[i] === h && sameName(this.text, recs[at + 6], recs[at + 7], s, e)) return i;
    }
  }

  /** The lease index of the name text[s, e) (case-insensitive), or -1. */
  get(recs: Float64Array, s: number, e: number, h: number): number {
    return this.slots[this.slotOf(recs, s, e, h)] - 1;
  }

  /** Makes lease `at` the one of its name, in place of the previous one if any. */
  set(recs: Float64Array, s: number, e: number, h: number, at: number): void {
    const i = this.slotOf(recs, s, e, h);
    if (this.slots[i] !== 0) {
      this.order[this.places[i]] = at;
      this.slots[i] = at + 1;
      return;
    }
    this.slots[i] = at + 1;
    this.hashes[i] = h;
    this.places[i] = this.order.length;
    this.order.push(at);
    if (this.order.length * 2 > this.slots.length) this.grow();
  }

  private grow(): void {
    const { slots, hashes, places } = this;
    this.slots = new Int32Array(slots.length * 2);
    this.hashes = new Int32Array(slots.length * 2);
    this.places = new Int32Array(slots.length * 2);
    const mask = this.slots.length - 1;
    for (let j = 0; j < slots.length; j++) {
      if (slots[j] === 0) continue;
      let i = hashes[j] & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = slots[j];
      this.hashes[i] = hashes[j];
      this.places[i] = places[j];
    }
  }
}
