/** A broker-less machine with disks and a page cache, and Kafka storage objects on it, for unit tests. */
import { Simulation } from "../../sim/Simulation.js";
import { Host } from "../../sim/Host.js";
import { Network } from "../../sim/network/Network.js";
import { BlockDevice, type DeviceSpec, type IoError } from "../../sim/disk/BlockDevice.js";
import { PageCache, LINUX_DEFAULTS } from "../../sim/disk/PageCache.js";
import { SATA_SSD } from "../../sim/disk/profiles.js";
import { Machine } from "../../sim/nodes/Machine.js";
import { Log, type RecordBatch } from "../../sim/nodes/kafka/log/Log.js";
import { LogDir, LogDirFailureChannel, type StorageOp } from "../../sim/nodes/kafka/log/LogDir.js";
import { LogManager } from "../../sim/nodes/kafka/log/LogManager.js";
import { retentionSettings, type RetentionSettings } from "../../sim/nodes/kafka/log/LogRetention.js";
import { behaviourOf, brokerDefaults, KafkaConfig, type KafkaVersion } from "../../sim/nodes/kafka/common/versions.js";

export const GiB = 1024 ** 3;
export const MB = 1_000_000;

export function machineWith(opts: { disks?: number; device?: DeviceSpec; memoryBytes?: number } = {}) {
  const sim = new Simulation(1);
  const host = new Host(sim, { name: "b", rack: "r", zone: "z", index: 0 });
  const network = new Network(sim, { hosts: [host], nicBytesPerSecond: [125_000_000] });
  const pageCache = new PageCache(sim, "b", { memoryBytes: opts.memoryBytes ?? 32 * GiB, ...LINUX_DEFAULTS });
  const disks = Array.from({ length: opts.disks ?? 1 }, (_, i) => new BlockDevice(sim, `b/disk-${i}`, opts.device ?? SATA_SSD));
  host.addListener({
    onPowerOff: () => {
      pageCache.powerOff();
      for (const d of disks) d.reset();
    },
    onPowerOn: () => pageCache.powerOn(),
  });
  host.install(() => ({ kind: "test" }));
  const machine = new Machine(sim, host, network, pageCache, disks);
  return { sim, host, pageCache, disks, machine };
}

export function batch(baseOffset: number, count: number, bytes: number, leaderEpoch: number): RecordBatch {
  return { baseOffset, count, bytes, leaderEpoch, producerId: -1, baseSequence: -1, producer: "p", firstIndex: baseOffset };
}

export interface LogOptions {
  durableEpochs?: boolean;
  flushIntervalMessages?: number;
  segmentBytes?: number;
  retention?: RetentionSettings;
}

/** Retention as a 3.6 broker's defaults set it (7 days, no size limit). */
export function defaultRetention(): RetentionSettings {
  return retentionSettings(KafkaConfig.merge(brokerDefaults("3.6")), behaviourOf("3.6"), false);
}

/** A fresh Log in a log dir on the machine's first disk; IOExceptions are collected. */
export function newLog(machine: Machine, opts: LogOptions = {}, key = "t-0", dir = new LogDir(0, "/kafka-logs-0", machine.disk)) {
  const errors: Array<[StorageOp, IoError]> = [];
  const log = new Log(
    {
      machine,
      dir,
      segmentBytes: opts.segmentBytes ?? 1 << 30,
      flushIntervalMessages: opts.flushIntervalMessages ?? Number.MAX_SAFE_INTEGER,
      durableEpochs: opts.durableEpochs ?? true,
      onIoError: (op, e) => errors.push([op, e]),
      offlineOnIoError: true,
      recoveryPointAtLogEnd: false,
      retention: opts.retention ?? defaultRetention(),
      ownLogStartOffset: true,
    },
    key,
  );
  return { log, errors, dir };
}

/** A LogManager as a broker of that version builds it, with its failure channel; halts are collected. */
export function logManager(machine: Machine, version: KafkaVersion, config: Record<string, number> = {}) {
  const c = KafkaConfig.merge(brokerDefaults(version), config);
  const halts: string[] = [];
  const failed: LogDir[] = [];
  const halt = (reason: string): void => {
    halts.push(reason);
    machine.exit(reason);
  };
  let lm: LogManager;
  const channel = new LogDirFailureChannel({
    machine,
    logDirFailureHandling: behaviourOf(version).logDirFailureHandling,
    handleLogDirFailure: (dir) => {
      failed.push(dir);
      lm.handleLogDirFailure(dir);
    },
    halt,
  });
  lm = new LogManager({ machine, config: c, behaviour: behaviourOf(version), topicConfig: () => c, channel, halt, highWatermarkOf: () => null });
  return { lm, halts, failed, channel };
}

/** Runs loadLogs and the simulation until it is done; returns how long loading took (µs), or null if it never finished. */
export function timeLoad(sim: Simulation, lm: LogManager, untilUs = sim.now + 3_600_000_000): number | null {
  const start = sim.now;
  let doneAt = -1;
  lm.loadLogs(() => (doneAt = sim.now));
  while (doneAt < 0 && sim.now < untilUs) if (sim.run({ untilUs: Math.min(untilUs, sim.now + 1_000_000) }) === "quiescent") break;
  return doneAt < 0 ? null : doneAt - start;
}
