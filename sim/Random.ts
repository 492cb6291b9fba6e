/**
 * Seeded randomness through named streams.
 *
 * Every component draws from its own stream, `rng.stream("broker-2/disk")`, seeded with
 * `${seed}/${name}`, so adding a draw in one component never shifts another's choices
 * (TigerBeetle's sub-seeds). The generator is seedrandom's alea: fast, and well mixed for
 * simulation purposes; seedrandom's default ARC4 is several times slower.
 */
import seedrandom from "seedrandom";

export class RandomStream {
  private readonly next: () => number;
  /** A cached second normal deviate (Box–Muller yields two). */
  private spareNormal = NaN;

  constructor(readonly name: string, seed: string) {
    this.next = seedrandom.alea(seed);
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next());
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.next());
  }

  normal(mean: number, stddev: number): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return mean + stddev * z;
    }
    const u1 = 1 - this.next();
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return mean + stddev * r * Math.cos(2 * Math.PI * u2);
  }

  /** Lognormal whose underlying normal has parameters mu and sigma. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Pareto (type I) with scale xm > 0 and shape alpha > 0. */
  pareto(xm: number, alpha: number): number {
    return xm / Math.pow(1 - this.next(), 1 / alpha);
  }

  /**
   * A sampled delay rounded to integer microseconds at once: floats never decide event order.
   * (Math.floor(x + 0.5), not Math.round: V8's Math.round is ~2.5x slower on this hot path.)
   */
  delayUs(sample: number): number {
    return sample <= 0 ? 0 : Math.floor(sample + 0.5);
  }
}

export class Rng {
  private readonly streams = new Map<string, RandomStream>();

  constructor(readonly seed: number) {}

  /** The named stream; the same name always returns the same stream object. */
  stream(name: string): RandomStream {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new RandomStream(name, `${this.seed}/${name}`);
      this.streams.set(name, s);
    }
    return s;
  }
}
