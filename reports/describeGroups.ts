/**
 * `kafkasim describe --groups`: each consumer group as `kafka-consumer-groups.sh --describe
 * --group <g>` shows it: a row per partition of the group's topic with the committed offset
 * (CURRENT-OFFSET, from the coordinator's cache), the high watermark (LOG-END-OFFSET: the tool
 * asks ListOffsets for the latest offset, which is the high watermark for a read_uncommitted
 * client), LAG, and the member that owns it in the coordinator's current assignment.
 */
import type { World } from "../scenarios/world.js";
import { leaderHighWatermark, liveBrokers, liveCoordinator } from "../scenarios/consumers.js";
import { formatUs } from "../sim/time.js";

export interface GroupRow {
  topic: string;
  partition: number;
  /** null: nothing committed ("-"). */
  currentOffset: number | null;
  /** null: no leader to ask. */
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string | null;
  host: string | null;
  clientId: string | null;
}

export interface GroupState {
  group: string;
  /** The broker coordinating it; -1 when none answers (COORDINATOR_NOT_AVAILABLE). */
  coordinator: number;
  state: string;
  generation: number;
  protocol: string;
  rows: GroupRow[];
}

export function groupsState(world: World): { atUs: number; groups: GroupState[] } {
  const live = liveBrokers(world.brokers);
  const groups = (world.scenario.doc.consumers ?? []).map((c): GroupState => {
    const holder = liveCoordinator(live, c.group);
    const partitions = (world.scenario.doc.topics ?? []).find((t) => t.name === c.topic)?.partitions ?? 0;
    if (holder === undefined) return { group: c.group, coordinator: -1, state: "Unknown", generation: -1, protocol: "", rows: [] };
    const g = holder.group;
    const owner = new Map<string, { memberId: string; clientHost: string; clientId: string }>();
    for (const m of g.members.values()) for (const tp of m.assignment) owner.set(`${tp.topic}-${tp.partition}`, m);
    const rows: GroupRow[] = [];
    for (let p = 0; p < partitions; p++) {
      const key = `${c.topic}-${p}`;
      const committed = g.offsets.get(key)?.offset ?? null;
      const end = leaderHighWatermark(live, key) ?? null;
      const m = owner.get(key);
      rows.push({ topic: c.topic, partition: p, currentOffset: committed, logEndOffset: end, lag: committed !== null && end !== null ? Math.max(0, end - committed) : null, consumerId: m?.memberId ?? null, host: m === undefined ? null : m.clientHost, clientId: m?.clientId ?? null });
    }
    return { group: c.group, coordinator: holder.id, state: g.state, generation: g.generationId, protocol: g.protocolName, rows };
  });
  return { atUs: world.sim.now, groups };
}

export function formatGroupsState(s: { atUs: number; groups: GroupState[] }): string {
  const lines: string[] = [`# at ${formatUs(s.atUs)}`];
  const dash = (v: number | string | null): string => (v === null ? "-" : String(v));
  for (const g of s.groups) {
    lines.push("");
    if (g.coordinator < 0) {
      lines.push(`Error: Executing consumer group command failed due to org.apache.kafka.common.errors.CoordinatorNotAvailableException (group ${g.group}: no live broker has loaded it)`);
      continue;
    }
    lines.push(`# group ${g.group}: coordinator broker ${g.coordinator}, state ${g.state}, generation ${g.generation}${g.protocol !== "" ? `, assignor ${g.protocol}` : ""}`);
    if (g.state === "PreparingRebalance" || g.state === "CompletingRebalance") lines.push(`Warning: Consumer group '${g.group}' is rebalancing.`);
    if (g.state === "Empty") lines.push(`Consumer group '${g.group}' has no active members.`);
    const table = [["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]];
    for (const r of g.rows) table.push([g.group, r.topic, String(r.partition), dash(r.currentOffset), dash(r.logEndOffset), dash(r.lag), dash(r.consumerId), dash(r.host), dash(r.clientId)]);
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table) lines.push(row.map((cell, i) => cell.padEnd(widths[i])).join(" ").trimEnd());
  }
  return lines.join("\n") + "\n";
}
