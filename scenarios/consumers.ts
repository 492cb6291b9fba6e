/**
 * The scenario's consumer groups in the world: one KafkaConsumer process per member, on its own
 * host (consumer-<group>-<n>), started at its start time, and a once-a-second sample of each
 * group's lag (the sum over its topic's partitions of the leader's high watermark minus the
 * group's committed offset, as kafka-consumer-groups.sh computes LAG).
 */
import type { Simulation } from "../sim/Simulation.js";
import type { Host } from "../sim/Host.js";
import type { Machine } from "../sim/nodes/Machine.js";
import type { Broker } from "../sim/nodes/kafka/server/Broker.js";
import type { GroupMetadata } from "../sim/nodes/kafka/coordinator/group/GroupMetadata.js";
import type { KafkaHistory } from "../sim/nodes/kafka/History.js";
import { KafkaConsumer } from "../sim/nodes/kafka/clients/consumer/KafkaConsumer.js";
import { assignorNamesOf, effectiveConsumerConfig, type AssignorName } from "../sim/nodes/kafka/clients/consumer/ConsumerConfig.js";
import { ProcessingTime, type ProcessingSpec } from "../sim/nodes/kafka/clients/consumer/ProcessingTime.js";
import type { Behaviour, KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import type { ConsumerDocument } from "./schema.js";
import type { Scenario } from "./model.js";
import { parseDuration } from "./units.js";

export interface ConsumerWorld {
  sim: Simulation;
  scenario: Scenario;
  version: KafkaVersion;
  behaviour: Behaviour;
  hostsByName: ReadonlyMap<string, Host>;
  brokers: ReadonlyMap<number, Host>;
  history: KafkaHistory;
  machineOf(h: Host): Machine;
}

const LAG_SAMPLE_US = 1_000_000;

export function processingOf(doc: ConsumerDocument["processing"]): ProcessingSpec {
  const us = (d: string): number => parseDuration(d) as number;
  if (doc === undefined) return { distribution: "constant", meanUs: 0 };
  if (typeof doc === "string") return { distribution: "constant", meanUs: us(doc) };
  switch (doc.distribution) {
    case "constant":
    case "exponential":
      return { distribution: doc.distribution, meanUs: us(doc.mean) };
    case "uniform":
      return { distribution: "uniform", minUs: us(doc.min), maxUs: us(doc.max) };
    case "lognormal":
      return { distribution: "lognormal", meanUs: us(doc.mean), stddevUs: us(doc.stddev) };
  }
}

export function startConsumers(w: ConsumerWorld): void {
  const doc = w.scenario.doc;
  for (const c of doc.consumers ?? []) {
    const topic = (doc.topics ?? []).find((t) => t.name === c.topic);
    const commit = c.commit ?? "auto";
    const config = effectiveConsumerConfig(w.version, c.config, commit);
    const assignors = assignorNamesOf(config.str("partition.assignment.strategy"), w.version) as AssignorName[];
    const processing = new ProcessingTime(processingOf(c.processing));
    for (let m = 1; m <= c.members; m++) {
      const host = w.hostsByName.get(`consumer-${c.group}-${m}`) as Host;
      const startUs = parseDuration(Array.isArray(c.start) ? (c.start[m - 1] ?? "0s") : (c.start ?? "0s")) as number;
      const install = (): void =>
        host.install(
          () =>
            new KafkaConsumer(w.machineOf(host), {
              groupId: c.group,
              clientId: host.name,
              index: m,
              members: c.members,
              mode: c.mode ?? "subscribe",
              topic: c.topic,
              partitions: topic?.partitions ?? 1,
              config,
              behaviour: w.behaviour,
              version: w.version,
              assignors,
              commit,
              commitOnRevoke: c.commitOnRevoke ?? false,
              processing,
              brokers: w.brokers,
              groupInstanceId: c.staticId !== undefined && w.behaviour.staticMembership ? `${c.staticId}-${m}` : null,
              observer: w.history.consumers,
            }),
        );
      if (startUs === 0) install();
      else w.sim.schedule(startUs, install, undefined);
    }
    sampleLag(w, c.group, c.topic, topic?.partitions ?? 1);
  }
}

function sampleLag(w: ConsumerWorld, group: string, topic: string, partitions: number): void {
  const tick = (): void => {
    const lag = groupLag(w, group, topic, partitions);
    if (lag !== null) w.history.consumers.onLag(group, lag);
    w.sim.schedule(LAG_SAMPLE_US, tick, undefined);
  };
  w.sim.schedule(LAG_SAMPLE_US, tick, undefined);
}

/** The live brokers' processes, by id. */
export function liveBrokers(brokers: ReadonlyMap<number, Host>): Array<{ id: number; broker: Broker }> {
  return [...brokers].filter(([, h]) => h.alive && h.process?.kind === "broker").map(([id, h]) => ({ id, broker: h.process as unknown as Broker }));
}

/** The live broker coordinating the group now (it has loaded it), or undefined. */
export function liveCoordinator(live: ReadonlyArray<{ id: number; broker: Broker }>, group: string): { id: number; group: GroupMetadata } | undefined {
  for (const b of live) {
    const g = b.broker.groupView(group);
    if (g !== undefined) return { id: b.id, group: g };
  }
  return undefined;
}

/** The high watermark of the partition's live leader, or undefined when none leads it. */
export function leaderHighWatermark(live: ReadonlyArray<{ broker: Broker }>, key: string): number | undefined {
  for (const b of live) {
    const v = b.broker.partitionView(key);
    if (v?.isLeader === true) return v.highWatermark;
  }
  return undefined;
}

/**
 * A group's lag read now: the sum over the partitions with a live leader of (its high watermark -
 * the committed offset, or the whole high watermark when none), the partitions without a live
 * leader (left out of the sum), or null without a live coordinator.
 */
export function readGroupLag(w: { brokers: ReadonlyMap<number, Host> }, group: string, topic: string, partitions: number): { lag: number; leaderless: string[] } | null {
  const live = liveBrokers(w.brokers);
  const g = liveCoordinator(live, group)?.group;
  if (g === undefined) return null;
  let lag = 0;
  const leaderless: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const key = `${topic}-${p}`;
    const hw = leaderHighWatermark(live, key);
    if (hw === undefined) leaderless.push(key);
    else lag += Math.max(0, hw - (g.offsets.get(key)?.offset ?? 0));
  }
  return { lag, leaderless };
}

/** readGroupLag's sum (partitions without a live leader left out); null without a coordinator. */
export function groupLag(w: { brokers: ReadonlyMap<number, Host> }, group: string, topic: string, partitions: number): number | null {
  return readGroupLag(w, group, topic, partitions)?.lag ?? null;
}
