/**
 * Broker configs that Kafka's ConfigDef accepts but that a broker of that release cannot start
 * with, or whose effect the simulator does not model (0.10.2's controller failing every failover,
 * a fetcher retrying with no time passing):
 * each with the key to blame and why, read from Kafka (and
 * ZooKeeper) at the release tags. Every broker of a scenario shares one config, so a run would
 * have no broker: scenarios/configCheck.ts refuses these at load. The model itself does the same
 * where it can (the broker exits at start-up: Broker.startupFailed).
 */
import { rebalanceRule } from "../controller/KafkaController.js";
import { periodRule } from "./KafkaScheduler.js";
import { behaviourOf, type KafkaConfig, type KafkaVersion } from "../common/versions.js";

export interface ConfigRefusal {
  key: string;
  message: string;
}

const PERIOD_ZERO = "and a period of 0 makes ScheduledThreadPoolExecutor.scheduleAtFixedRate throw IllegalArgumentException (KafkaScheduler.schedule before 3.4; from 3.4 the task runs once)";

/**
 * The refusals for a broker config (defaults merged with what the scenario sets; `set` names the
 * keys the scenario sets, where a problem between two keys is reported), at a release, with this
 * many ZooKeeper servers in the connect string.
 */
export function brokerConfigRefusals(config: KafkaConfig, set: ReadonlySet<string>, version: KafkaVersion, zkServers: number): ConfigRefusal[] {
  const out: ConfigRefusal[] = [];
  const b = behaviourOf(version);
  const n = (key: string): number => config.num(key);
  const release = `Kafka ${version}'s broker`;

  // KafkaConfig.validateValues (every release): require(...) fails the KafkaConfig, so the start-up.
  const wait = n("replica.fetch.wait.max.ms");
  for (const [other, text] of [
    ["replica.socket.timeout.ms", "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts"],
    ["replica.lag.time.max.ms", "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR" /* 1.1+ wording (#4417) */],
  ] as const) {
    if (wait <= n(other)) continue;
    const key = set.has(other) ? other : "replica.fetch.wait.max.ms";
    const detail = key === other ? `expected at least replica.fetch.wait.max.ms (${wait}) (got ${n(other)})` : `expected at most ${other} (${n(other)}) (got ${wait})`;
    out.push({ key, message: `${detail}: every release's broker refuses this at start-up (KafkaConfig.validateValues: "requirement failed: ${text}")` });
  }

  // ReplicaManager.startup: isr-expiration every replica.lag.time.max.ms / 2, a Long division.
  const isrPeriodMs = Math.trunc(n("replica.lag.time.max.ms") / 2);
  if (periodRule(isrPeriodMs, b) === "throws") {
    out.push({ key: "replica.lag.time.max.ms", message: `${release} fails at start-up with ${n("replica.lag.time.max.ms")}: ReplicaManager.startup schedules isr-expiration every replica.lag.time.max.ms / 2 = 0 ms (a whole-ms division), ${PERIOD_ZERO}` });
  }
  // LogManager.startup: kafka-log-flusher and kafka-recovery-point-checkpoint.
  for (const [key, task] of [
    ["log.flush.scheduler.interval.ms", "kafka-log-flusher"],
    ["log.flush.offset.checkpoint.interval.ms", "kafka-recovery-point-checkpoint"],
    ["log.flush.start.offset.checkpoint.interval.ms", "kafka-log-start-offset-checkpoint"],
  ] as const) {
    if (config.has(key) && periodRule(n(key), b) === "throws") out.push({ key, message: `${release} fails at start-up with 0: LogManager.startup schedules ${task} every ${key}, ${PERIOD_ZERO}` });
  }

  // ZooKeeper: ClientCnxn's connect timeout is sessionTimeout / servers in whole ms; at 0 every
  // attempt ends before it is answered (SendThread.run: to <= 0, SessionTimeoutException), and
  // KafkaServer waits zookeeper.connection.timeout.ms (by default the session timeout) for it.
  const session = n("zookeeper.session.timeout.ms");
  if (Math.trunc(session / zkServers) <= 0) {
    out.push({
      key: "zookeeper.session.timeout.ms",
      message: `every release's broker fails at start-up with ${session}: the ZooKeeper client's connect timeout, zookeeper.session.timeout.ms / ${zkServers} server${zkServers === 1 ? "" : "s"} = ${Math.trunc(session / zkServers)} ms, ends every connection attempt before it is answered (ClientCnxn.SendThread.run), and KafkaServer waits zookeeper.connection.timeout.ms (by default zookeeper.session.timeout.ms) for the first connection: ZooKeeperClientTimeoutException (ZkTimeoutException before 1.1)`,
    });
  }

  // A follower with replica.socket.timeout.ms <= 0 never connects (ReplicaFetcher.ts); with no fetch
  // backoff its fetcher thread retries in a loop that costs Kafka CPU time and the simulator none.
  if (n("replica.socket.timeout.ms") <= 0 && n("replica.fetch.backoff.ms") === 0) {
    out.push({
      key: set.has("replica.fetch.backoff.ms") ? "replica.fetch.backoff.ms" : "replica.socket.timeout.ms",
      message: `with replica.socket.timeout.ms ${n("replica.socket.timeout.ms")} a follower never connects (NetworkClientUtils.awaitReady gives up before any poll) and with replica.fetch.backoff.ms 0 its fetcher thread retries at once, over and over (AbstractFetcherThread.processFetchRequest): a loop that costs Kafka CPU time and the simulator none, which it cannot run`,
    });
  }

  // The controller's preferred-leader check (3.2+ refuses < 1 in its ConfigDef).
  if (config.bool("auto.leader.rebalance.enable")) {
    const interval = n("leader.imbalance.check.interval.seconds");
    const rule = rebalanceRule(interval, b);
    if (rule === "throws") {
      out.push({
        key: "leader.imbalance.check.interval.seconds",
        message: `Kafka ${version}'s controller fails every failover with 0: onControllerFailover schedules partition-rebalance-thread with period 0, ${PERIOD_ZERO}; ZookeeperLeaderElector.elect then resigns and the brokers elect again, over and over, a loop the simulator does not model (with auto.leader.rebalance.enable=false the value is unused)`,
      });
    }
  }
  return out;
}
