/**
 * Coverage marks: code marks a rare path with `marks.hit("unclean leader election")`, and
 * scenarios and tests assert the marks they expect, so a test cannot pass by never reaching
 * the interesting branch (TigerBeetle's marks.zig, FoundationDB's TEST()).
 */
export class Marks {
  private readonly counts = new Map<string, number>();

  hit(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  /** All marks hit, sorted by name so the listing is stable. */
  entries(): Array<[string, number]> {
    return [...this.counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
