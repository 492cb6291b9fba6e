/**
 * The follower's fetcher threads (ReplicaFetcherManager over AbstractFetcherManager): one
 * ReplicaFetcher per (leader broker, fetcher id), a partition's fetcher id spreading partitions
 * over `num.replica.fetchers` threads (AbstractFetcherManager.getFetcherId).
 */
import type { Host } from "../../../Host.js";
import type { Endpoint } from "../../Endpoint.js";
import type { Partition } from "../cluster/Partition.js";
import { ReplicaFetcher, type FetcherHost, type FetcherSettings } from "./ReplicaFetcher.js";

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<string, ReplicaFetcher>();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly settings: FetcherSettings,
    private readonly numFetchers: number,
    private readonly hostOf: (brokerId: number) => Host | undefined,
    private readonly host: FetcherHost,
  ) {}

  private fetcherKey(leader: number, p: Partition): string {
    return `${leader}:${(p.index + hashString(p.topic)) % this.numFetchers}`;
  }

  /** addFetcherForPartitions: the partition starts (truncating, then) fetching from its leader. */
  add(p: Partition, leader: number): void {
    const host = this.hostOf(leader);
    if (host === undefined) return;
    const key = this.fetcherKey(leader, p);
    let f = this.fetchers.get(key);
    if (f === undefined) this.fetchers.set(key, (f = new ReplicaFetcher(this.endpoint, leader, host, this.settings, this.host)));
    f.add(p);
  }

  /** removeFetcherForPartitions. */
  remove(p: Partition): void {
    for (const f of this.fetchers.values()) f.remove(p.key);
  }

  shutdown(): void {
    for (const f of this.fetchers.values()) f.shutdown();
    this.fetchers.clear();
  }
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (31 * h + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}
