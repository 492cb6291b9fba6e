/**
 * `npm run bench -- --growth [--minutes M]`: how the reference scenario's cost grows with its
 * size, one axis at a time from the reference (12 partitions, 10,000 records/s, 6 brokers, M
 * simulated minutes, default 10): partitions 12 / 48 / 192, rate 10k / 50k / 100k records/s,
 * brokers 3 / 6 / 24, and 6 x M minutes. Each variant runs once in a fresh process (seed 1) and
 * gives events, CPU seconds, simulated seconds per CPU second, CPU per event and per
 * acknowledged record, and peak RSS; the ratios the speed goals are stated in are printed last.
 * The reference's broker crash moves with the duration, to 30% of the run.
 */
export interface GrowthVariant {
  name: string;
  sets: string[];
}

export function growthVariants(minutes: number): GrowthVariant[] {
  // The reference's broker crash stays at 30% of the run (3 minutes of 10).
  const duration = (m: number): string[] => [`duration=${m * 60}s`, `faults.0.at=${Math.round(m * 60 * 0.3)}s`];
  // The reference's two producers share the rate.
  const rate = (total: number): string[] => [`producers.0.rate=${total / 2}/s`, `producers.1.rate=${total / 2}/s`];
  const base = { partitions: 12, rate: 10_000, brokers: 6, minutes };
  const variant = (o: Partial<typeof base>): GrowthVariant => {
    const v = { ...base, ...o };
    return {
      name: `p${v.partitions}_r${v.rate / 1000}k_b${v.brokers}_m${v.minutes}`,
      // The reference crashes broker-4; with 3 brokers, broker-3.
      sets: [`topics.0.partitions=${v.partitions}`, ...rate(v.rate), `cluster.brokers=${v.brokers}`, ...duration(v.minutes), `faults.0.crash=broker-${Math.min(4, v.brokers)}`],
    };
  };
  const all = [
    variant({}),
    variant({ partitions: 48 }),
    variant({ partitions: 192 }),
    variant({ rate: 50_000 }),
    variant({ rate: 100_000 }),
    variant({ brokers: 3 }),
    variant({ brokers: 24 }),
    variant({ minutes: minutes * 6 }),
  ];
  return all;
}
