/**
 * How long the application takes per record (a scenario's `processing`): a constant, or a
 * distribution drawn per record from the member's own random stream.
 */
import type { RandomStream } from "../../../../Random.js";

export type ProcessingSpec =
  | { distribution: "constant"; meanUs: number }
  | { distribution: "exponential"; meanUs: number }
  | { distribution: "uniform"; minUs: number; maxUs: number }
  | { distribution: "lognormal"; meanUs: number; stddevUs: number };

export class ProcessingTime {
  private readonly mu: number;
  private readonly sigma: number;

  constructor(readonly spec: ProcessingSpec) {
    // A lognormal given by its mean m and standard deviation s: sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2.
    if (spec.distribution === "lognormal" && spec.meanUs > 0) {
      const v = Math.log(1 + (spec.stddevUs * spec.stddevUs) / (spec.meanUs * spec.meanUs));
      this.sigma = Math.sqrt(v);
      this.mu = Math.log(spec.meanUs) - v / 2;
    } else {
      this.mu = 0;
      this.sigma = 0;
    }
  }

  /**
   * Processes records one after another from nowUs: each one's end goes in doneUs (one per
   * record); returns the total. A constant draws nothing, so it is summed without a draw per record.
   */
  processAll(nowUs: number, doneUs: Float64Array, rng: RandomStream): number {
    let total = 0;
    const s = this.spec;
    if (s.distribution === "constant") {
      const each = s.meanUs;
      for (let i = 0; i < doneUs.length; i++) {
        total += each;
        doneUs[i] = nowUs + total;
      }
      return total;
    }
    for (let i = 0; i < doneUs.length; i++) {
      total += this.sampleUs(rng);
      doneUs[i] = nowUs + total;
    }
    return total;
  }

  /** One record's processing time in whole µs. */
  sampleUs(rng: RandomStream): number {
    const s = this.spec;
    switch (s.distribution) {
      case "constant":
        return s.meanUs;
      case "exponential":
        return Math.round(rng.exponential(s.meanUs));
      case "uniform":
        return Math.round(rng.uniform(s.minUs, s.maxUs));
      case "lognormal":
        return s.meanUs <= 0 ? 0 : Math.round(rng.lognormal(this.mu, this.sigma));
    }
  }
}
