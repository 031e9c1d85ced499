/**
 * What the example services simulate: random outcomes and slow work. Every
 * random choice is drawn from a generator seeded with the run's seed and a
 * key naming the choice (`payment/<order id>`), so the same seed gives the
 * same users, items, payment outcomes and carriers, in whatever order the
 * services happen to handle the events.
 */

/** A small seeded pseudo-random generator (sfc32), seeded from a string. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    // cyrb128: four 32-bit hashes of the seed text
    let h1 = 1779033703;
    let h2 = 3144134277;
    let h3 = 1013904242;
    let h4 = 2773480762;
    for (let i = 0; i < seed.length; i++) {
      const k = seed.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    this.a = (h1 ^ h2 ^ h3 ^ h4) >>> 0;
    this.b = (h2 ^ h1) >>> 0;
    this.c = (h3 ^ h1) >>> 0;
    this.d = (h4 ^ h1) >>> 0;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A number in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** A whole number from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a list. */
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }

  /** `n` upper-case hexadecimal digits. */
  hex(n: number): string {
    let out = "";
    for (let i = 0; i < n; i++) out += "0123456789ABCDEF"[Math.floor(this.next() * 16)];
    return out;
  }

  /** A version 4 UUID made of this generator's numbers. */
  uuid(): string {
    const h = this.hex(32).toLowerCase().split("");
    h[12] = "4";
    h[16] = "89ab"[Math.floor(this.next() * 4)]!;
    const s = h.join("");
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

/** The randomness and the pace of one run. */
export interface Simulation {
  /** The run's seed. */
  readonly seed: string;
  /** The generator for one choice: the same for the same seed and key. */
  random(key: string): Random;
  /** Simulated work of about `ms` milliseconds (±20%); none in a fast run. */
  work(ms: number, random: Random): Promise<void>;
}

export function simulation(seed: string, fast: boolean): Simulation {
  return {
    seed,
    random: (key) => new Random(`${seed}/${key}`),
    work: (ms, random) => {
      const jitter = 0.8 + 0.4 * random.next(); // drawn in fast runs too, so they make the same choices
      return fast ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms * jitter));
    },
  };
}
