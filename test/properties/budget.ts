/** Sizes for the guarantee suite: small enough for CI, KAFKASIM_PROPERTY_RUNS=N for a longer hunt. */
export function propertyRuns(ci: number): number {
  const n = Number(process.env.KAFKASIM_PROPERTY_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ci;
}

/** The fast-check seed: KAFKASIM_PROPERTY_SEED to replay a search, else a fixed one so CI is repeatable. */
export function propertySeed(fallback: number): number {
  const n = Number(process.env.KAFKASIM_PROPERTY_SEED);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}
