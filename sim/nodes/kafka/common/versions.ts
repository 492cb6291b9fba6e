/**
 * What changed between Kafka releases, as far as the simulator models it. `kafka.version` in a
 * scenario picks the row; README.md carries the same table for users.
 */

/** Every minor release from 0.10.2 to 3.9, the last with ZooKeeper mode; a row is the x.y.0 release. */
export const KAFKA_VERSIONS = ["0.10.2", "0.11", "1.0", "1.1", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9"] as const;
export type KafkaVersion = (typeof KAFKA_VERSIONS)[number];

function at(version: KafkaVersion, since: KafkaVersion): boolean {
  return KAFKA_VERSIONS.indexOf(version) >= KAFKA_VERSIONS.indexOf(since);
}

export interface Behaviour {
  /** KIP-227 (1.1, Fetch v7): incremental fetch sessions; a fetch names only changed partitions, its answer only partitions with news. */
  fetchSessions: boolean;
  /** KAFKA-12330 (3.0): only partitions that returned records move to the end of a fetch session's order (before, every partition answered). */
  fetchSessionMovesOnlyPartitionsWithRecords: boolean;
  /** KAFKA-9338 (2.5): a fetch session caches the partitions' current leader epoch (2.1 - 2.4 dropped it). */
  fetchSessionCachesLeaderEpoch: boolean;
  /** KAFKA-9137 (2.5): every incremental fetch touches its session in the cache (before, only when its size changed). */
  fetchSessionTouchedEveryFetch: boolean;
  /** KIP-101 (0.11): followers truncate by OffsetsForLeaderEpoch, not to their high watermark. */
  leaderEpochTruncation: boolean;
  /** KIP-279 (2.0): the leader answers with the largest epoch it has at or below the asked one. */
  epochTruncationFix: boolean;
  /** KIP-320 (2.1): fetches carry the current leader epoch; stale ones get FENCED_LEADER_EPOCH. */
  fetchLeaderEpoch: boolean;
  /** KIP-380 (2.2): controller requests carry the broker epoch; stale ones get STALE_BROKER_EPOCH. */
  brokerEpoch: boolean;
  /** KIP-98 (0.11): idempotent producer. */
  idempotence: boolean;
  /** KIP-98 (0.11, ApiVersion KAFKA_0_11_0_IV2): record batches in message format v2; v1 message sets before. */
  messageFormat: 1 | 2;
  /** The Produce and Fetch versions a release's clients and brokers use with each other: the newest they have. */
  produceVersion: number;
  fetchVersion: number;
  /** KAFKA-5494 (1.0): idempotence keeps order with up to 5 requests in flight (before: 1). */
  idempotentInFlight5: boolean;
  /**
   * KIP-360 (2.5): a broker takes any sequence from a producer it does not know, and an idempotent
   * producer retries OUT_OF_ORDER_SEQUENCE_NUMBER and UNKNOWN_PRODUCER_ID with its sequences
   * started over (an epoch bump). Before, a broker refuses a producer it does not know unless the
   * sequence is 0 (UNKNOWN_PRODUCER_ID from 1.0, KAFKA-5793; OUT_OF_ORDER_SEQUENCE_NUMBER in 0.11),
   * and the producer fails the batch that hit the gap and starts over with a new producer id
   * (TransactionManager.canRetry; in 0.11 every OUT_OF_ORDER_SEQUENCE_NUMBER fails its batch).
   */
  idempotentEpochBump: boolean;
  /** KAFKA-5793 (1.0): UNKNOWN_PRODUCER_ID exists, and a non-gap OUT_OF_ORDER_SEQUENCE_NUMBER is retried. */
  unknownProducerIdError: boolean;
  /** 2.2 (Metadata.updatePartitionInfo): the producer ignores metadata with an older leader epoch than it has seen. */
  clientLeaderEpochCheck: boolean;
  /** KAFKA-8376 (2.3): leastLoadedNode prefers a ready node, then a connecting one, then one that may connect. */
  leastLoadedPrefersReady: boolean;
  /** KIP-601 (2.7): socket.connection.setup.timeout.ms bounds a client's connect. */
  connectionSetupTimeout: boolean;
  /**
   * KIP-580 (3.7): retries and metadata refreshes back off exponentially from retry.backoff.ms to
   * retry.backoff.max.ms with ±20% jitter (a metadata answer that advances no leader epoch counts
   * as a repeat); every ExponentialBackoff caps its jittered value at the maximum.
   */
  exponentialRetryBackoff: boolean;
  /**
   * KIP-951 (3.7): a NOT_LEADER_OR_FOLLOWER produce error carries the leader the broker knows
   * (CurrentLeader); the producer takes a newer one at once and retries without backing off (KAFKA-15415).
   */
  leaderHints: boolean;
  /** KIP-91 (2.1): delivery.timeout.ms bounds a record's whole life in the producer. */
  deliveryTimeout: boolean;
  /** Keyless records: round-robin before 2.4, sticky (KIP-480) from 2.4, uniform sticky (KIP-794) from 3.3. */
  keylessPartitioner: "round-robin" | "sticky" | "uniform-sticky";
  /**
   * KIP-497 (2.7, inter.broker.protocol 2.7-IV2): a leader asks the controller to change the ISR
   * (AlterIsr, AlterPartition from 3.2) instead of writing the partition-state znode itself and
   * announcing it under /isr_change_notification.
   */
  alterIsr: boolean;
  /** KAFKA-13587 (3.2): AlterIsr is sent as AlterPartition. */
  alterPartitionName: boolean;
  /** KIP-841 (3.3): the controller refuses an ISR naming a broker that is not live or is shutting down (INELIGIBLE_REPLICA). */
  ineligibleReplicaCheck: boolean;
  /** KAFKA-3143 (2.3): at failover the controller moves replicas on dead brokers to OfflineReplica (out of the ISR). */
  offlineReplicasAtFailover: boolean;
  /** KAFKA-6082 (2.1): every controller write is a multi checking /controller_epoch's version, so a deposed controller cannot write. */
  controllerEpochZkCheck: boolean;
  /**
   * KAFKA-15021 (3.6): a caught-up replica outside the ISR holds the high watermark back only if
   * its broker is alive (KAFKA-4485, 0.10.2, made every caught-up replica hold it back).
   */
  hwIgnoresDeadCaughtUpReplicas: boolean;
  /** KAFKA-7152 (2.1): a follower at the leader's log end offset is never out of sync. */
  followerAtLogEndInSync: boolean;
  /**
   * KAFKA-7128 (2.1; 2.0.1): the leader records where its epoch starts (leaderEpochStartOffset) at
   * makeLeader, and a follower rejoins the ISR only once it has reached it.
   */
  isrNeedsEpochStart: boolean;
  /**
   * From 1.0 (KafkaController.onReplicasBecomeOffline uses isReplicaOnline) a partition led by a
   * broker in controlled shutdown counts as leaderless when other brokers fail.
   */
  leaderInShutdownCountsOffline: boolean;
  /** 2.7 - 2.8: LeaderAndIsr drops the partition's queued AlterIsr (clearPending, removed in 3.0 by KAFKA-12686). */
  alterIsrClearsPendingOnLeaderAndIsr: boolean;
  /** KAFKA-7415 (2.1): Partition.makeLeader writes the new epoch and its start offset to the leader-epoch cache at once. */
  epochAssignedAtMakeLeader: boolean;
  /**
   * 0.10.2 - 2.0 (ReplicaFetcherThread.handleOffsetOutOfRange; KAFKA-7414 removed it in 2.1 and 2.0.1): a follower whose log is longer
   * than the leader's, in a topic without unclean leader election, exits ("log truncation is
   * not allowed") rather than truncate.
   */
  exitOnDisallowedTruncation: boolean;
  /** 1.0 - 2.7 (Log.recoverLog): after an unclean shutdown's recovery the recovery point is the log end. */
  recoveryPointAtLogEndAfterRecovery: boolean;
  /**
   * KIP-144 (0.11): the client's reconnect backoff has ±20% jitter and doubles per failed attempt up
   * to reconnect.backoff.max.ms; the doubling works from 1.0 (KAFKA-6101).
   */
  reconnectBackoffJitter: boolean;
  exponentialReconnectBackoff: boolean;
  /** KAFKA-8933 (2.5; 2.4.1): a metadata request lost to a disconnect counts as a failed update (the refresh backoff applies). */
  metadataBackoffAfterDisconnect: boolean;
  /**
   * KIP-112 (1.0): an IOException takes its log dir offline (KAFKA_STORAGE_ERROR, a
   * /log_dir_event_notification znode; halt only when no log dir is left). Before it, an
   * IOException in a produce append, a follower append or the high-watermark checkpoint halts.
   */
  logDirFailureHandling: boolean;
  /** KAFKA-10471 (2.8): the clean-shutdown marker is deleted before the logs load, not after. */
  cleanShutdownMarkerDeletedFirst: boolean;
  /**
   * 3.4 (KafkaScheduler.schedule, #12882): a task scheduled with period 0 runs once. Before, period 0
   * went to ScheduledThreadPoolExecutor.scheduleAtFixedRate, which throws IllegalArgumentException.
   */
  schedulerPeriodZeroRunsOnce: boolean;
  /**
   * 0.11 (the controller's event queue, KAFKA-5028): the preferred-leader check is a one-shot task
   * re-armed leader.imbalance.check.interval.seconds after each check (scheduleAutoLeaderRebalanceTask);
   * 0.10.2 schedules partition-rebalance-thread at that fixed rate.
   */
  rebalanceTaskRearmed: boolean;
  /**
   * Before 3.1 (#11246, KafkaServer.controlledShutdown) a failed controlled-shutdown attempt is
   * followed by controlled.shutdown.retry.backoff.ms even when it was the last one; from 3.1 only
   * when retries remain.
   */
  controlledShutdownSleepsAfterLastAttempt: boolean;
  /**
   * KIP-107 (0.11): a log start offset of its own, checkpointed in `log-start-offset-checkpoint`,
   * sent in the Fetch response (v5) so that followers advance theirs, and segments below it
   * deleted (deleteLogStartOffsetBreachedSegments). Before, the log starts at its first segment.
   */
  logStartOffset: boolean;
  /**
   * 1.0 (Log.deletableSegments): retention deletes only segments wholly below the high watermark,
   * so the log start offset never passes it; 0.10.2 and 0.11 delete any segment but a last empty one.
   */
  retentionBoundedByHighWatermark: boolean;
  /**
   * 3.0 (UnifiedLog.deleteOldSegments): retention checks the log start offset, then size, then
   * time; before, time, size, then the log start offset.
   */
  retentionStartOffsetFirst: boolean;
  /**
   * 0.11 - 2.3 (Log.maybeIncrementLogStartOffset -> ProducerStateManager.truncateHead): a higher
   * log start offset drops the producers whose last batch is below it; from 2.4 (KAFKA-7190)
   * truncateHead keeps them.
   */
  producersEvictedAtLogStart: boolean;
  /** 2.5 (Log.updateLogStartOffset): a higher log start offset raises the recovery point with it. */
  logStartOffsetRaisesRecoveryPoint: boolean;

  // --- the group coordinator (GroupCoordinator.scala / GroupMetadataManager.scala at the tags) ---
  /** KIP-134 (0.11): an Empty group waits group.initial.rebalance.delay.ms before its first join completes (InitialDelayedJoin). */
  groupInitialDelay: boolean;
  /** 0.11: a loading coordinator reads its partition to the log end; 0.10.2 to the high watermark. */
  groupLoadToLogEnd: boolean;
  /** 2.0 ("Fix partition loading checks"): loading answers COORDINATOR_LOAD_IN_PROGRESS; before, NOT_COORDINATOR. */
  groupLoadingCheckedFirst: boolean;
  /** KIP-394 (2.2, JoinGroup v4): a new dynamic member first gets MEMBER_ID_REQUIRED with its id. */
  memberIdRequired: boolean;
  /** KIP-345 (2.3): group.instance.id; static members outlive a rebalance they miss and send no LeaveGroup. */
  staticMembership: boolean;
  /** 2.4 (KAFKA-8487, doCommitOffsets): OffsetCommit checks member and generation before CompletingRebalance. */
  commitChecksMemberFirst: boolean;
  /** 2.5: a static member rejoining while CompletingRebalance starts a rebalance. */
  staticRejoinRebalancesWhileCompleting: boolean;
  /** 2.7: a heartbeat while CompletingRebalance renews the session (NONE); before, REBALANCE_IN_PROGRESS without renewing. */
  heartbeatDuringCompletingRebalance: boolean;
  /** 2.7: a static member's rejoin in Stable is stored (storeGroup) before it is answered. */
  staticRejoinStoresGroup: boolean;
  /** 3.4: a rejoin updates the member's session and rebalance timeouts. */
  joinUpdatesTimeouts: boolean;
  /**
   * 2.3 (GroupCoordinator.handleHeartbeat): a heartbeat's generation is checked before the group's
   * state, so a stale member gets ILLEGAL_GENERATION during CompletingRebalance; before,
   * REBALANCE_IN_PROGRESS (until 2.7 renews the session there, heartbeatDuringCompletingRebalance).
   */
  heartbeatChecksGenerationFirst: boolean;

  // --- the consumer (ConsumerCoordinator / AbstractCoordinator / Fetcher at the tags) ---
  /** KIP-429 (2.4): the cooperative rebalance protocol (cooperative-sticky). */
  cooperativeRebalance: boolean;
  /** KIP-320 on the client (2.3): positions are validated against the new leader (OffsetsForLeaderEpoch) after a leader change. */
  consumerOffsetValidation: boolean;
  /** 2.6 (SubscriptionState.maybeCompleteValidation, KAFKA-10113): a new leader that does not know the position's epoch resets it per auto.offset.reset. */
  consumerValidationResetsUnknownEpoch: boolean;
  /** KAFKA-8421 (2.5): poll() keeps returning records of owned partitions while a rebalance is under way. */
  pollDuringRebalance: boolean;
  /**
   * ConsumerCoordinator.onJoinPrepare's auto-commit. "sync" (up to 3.1): maybeAutoCommitOffsetsSync
   * blocks poll() for up to the rebalance timeout, then the partitions are revoked. "async-revoke-first"
   * (3.2.0, KAFKA-13310): each call an async commit and the revoke, the JoinGroup only from a call with
   * nothing to commit (ConsumerCommits.asyncRevokeFirst). "async" (3.3+; joinPrepareTimer KAFKA-14024,
   * pending revocation KAFKA-14196): an async commit retried until the rebalance timeout while
   * an eager member's partitions are pending revocation (not fetched, not returned), then the revoke.
   */
  joinPrepareAutoCommit: "sync" | "async-revoke-first" | "async";
  /**
   * 2.6 (AbstractCoordinator.generationUnchanged): ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID /
   * FENCED_INSTANCE_ID in a heartbeat or commit answer reset the member only if its generation is the
   * one the request carried; before, always (and a heartbeat's FENCED_INSTANCE_ID only fails it).
   */
  clientGenerationGuard: boolean;
  /**
   * 2.7 split the member state REBALANCING into PREPARING_REBALANCE and COMPLETING_REBALANCE; a
   * commit's stale-generation error skips the reset only while PREPARING_REBALANCE (2.6: either).
   */
  staleCommitSkipsResetOnlyPreparing: boolean;
  /** 2.4 (ConsumerCoordinator.OffsetCommitResponseHandler): a commit's REBALANCE_IN_PROGRESS only asks for a rejoin; before, it resets the generation. */
  commitRebalanceKeepsGeneration: boolean;
  /**
   * KAFKA-13419 (3.2, AbstractCoordinator.resetStateAndGeneration): ILLEGAL_GENERATION resets the
   * generation but keeps the member id (every member, dynamic or static); before, and for every
   * other reset, the member id goes too.
   */
  illegalGenerationKeepsMemberId: boolean;
}

/**
 * The newest Produce and Fetch versions from each release on (validVersions in
 * clients/src/main/resources/common/message/*Request.json from 2.2; the schema arrays of
 * Protocol.java before 1.0, of ProduceRequest.java / FetchRequest.java in 1.0 - 2.1), checked at
 * every x.y.0 tag. Keyed by release number so that releases added to the table fall in place.
 */
const PRODUCE_VERSIONS: ReadonlyArray<readonly [string, number]> = [["3.8", 11], ["3.7", 10], ["2.8", 9], ["2.4", 8], ["2.1", 7], ["2.0", 6], ["1.0", 5], ["0.11", 3], ["0.10", 2]];
const FETCH_VERSIONS: ReadonlyArray<readonly [string, number]> = [["3.9", 17], ["3.7", 16], ["3.5", 15], ["3.1", 13], ["2.7", 12], ["2.3", 11], ["2.1", 10], ["2.0", 8], ["1.1", 7], ["1.0", 6], ["0.11", 5], ["0.10", 3]];

/** "0.10.2" -> 10, "2.4" -> 204: major and minor, enough to order releases. */
export function releaseNumber(version: string): number {
  const [major, minor] = version.split(".").map(Number);
  return major * 100 + minor;
}

function newestApiVersion(table: ReadonlyArray<readonly [string, number]>, version: string): number {
  for (const [since, v] of table) if (releaseNumber(version) >= releaseNumber(since)) return v;
  return table[table.length - 1][1];
}

export function behaviourOf(version: KafkaVersion): Behaviour {
  return {
    fetchSessions: at(version, "1.1"),
    fetchSessionMovesOnlyPartitionsWithRecords: at(version, "3.0"),
    fetchSessionCachesLeaderEpoch: at(version, "2.5"),
    fetchSessionTouchedEveryFetch: at(version, "2.5"),
    leaderEpochTruncation: at(version, "0.11"),
    epochTruncationFix: at(version, "2.0"),
    fetchLeaderEpoch: at(version, "2.1"),
    brokerEpoch: at(version, "2.2"),
    idempotence: at(version, "0.11"),
    messageFormat: at(version, "0.11") ? 2 : 1,
    produceVersion: newestApiVersion(PRODUCE_VERSIONS, version),
    fetchVersion: newestApiVersion(FETCH_VERSIONS, version),
    idempotentInFlight5: at(version, "1.0"),
    deliveryTimeout: at(version, "2.1"),
    exponentialRetryBackoff: at(version, "3.7"),
    leaderHints: at(version, "3.7"),
    leastLoadedPrefersReady: at(version, "2.3"),
    clientLeaderEpochCheck: at(version, "2.2"),
    connectionSetupTimeout: at(version, "2.7"),
    idempotentEpochBump: at(version, "2.5"),
    unknownProducerIdError: at(version, "1.0"),
    keylessPartitioner: at(version, "3.3") ? "uniform-sticky" : at(version, "2.4") ? "sticky" : "round-robin",
    alterIsr: at(version, "2.7"),
    alterPartitionName: at(version, "3.2"),
    ineligibleReplicaCheck: at(version, "3.3"),
    offlineReplicasAtFailover: at(version, "2.3"),
    controllerEpochZkCheck: at(version, "2.1"),
    hwIgnoresDeadCaughtUpReplicas: at(version, "3.6"),
    followerAtLogEndInSync: at(version, "2.1"),
    isrNeedsEpochStart: at(version, "2.1"),
    leaderInShutdownCountsOffline: at(version, "1.0"),
    alterIsrClearsPendingOnLeaderAndIsr: at(version, "2.7") && !at(version, "3.0"),
    epochAssignedAtMakeLeader: at(version, "2.1"),
    exitOnDisallowedTruncation: !at(version, "2.1"),
    recoveryPointAtLogEndAfterRecovery: at(version, "1.0") && !at(version, "2.8"),
    reconnectBackoffJitter: at(version, "0.11"),
    exponentialReconnectBackoff: at(version, "1.0"),
    metadataBackoffAfterDisconnect: at(version, "2.5"),
    logDirFailureHandling: at(version, "1.0"),
    cleanShutdownMarkerDeletedFirst: at(version, "2.8"),
    schedulerPeriodZeroRunsOnce: at(version, "3.4"),
    rebalanceTaskRearmed: at(version, "0.11"),
    controlledShutdownSleepsAfterLastAttempt: !at(version, "3.1"),
    logStartOffset: at(version, "0.11"),
    retentionBoundedByHighWatermark: at(version, "1.0"),
    retentionStartOffsetFirst: at(version, "3.0"),
    producersEvictedAtLogStart: at(version, "0.11") && !at(version, "2.4"),
    logStartOffsetRaisesRecoveryPoint: at(version, "2.5"),
    groupInitialDelay: at(version, "0.11"),
    groupLoadToLogEnd: at(version, "0.11"),
    groupLoadingCheckedFirst: at(version, "2.0"),
    memberIdRequired: at(version, "2.2"),
    staticMembership: at(version, "2.3"),
    commitChecksMemberFirst: at(version, "2.4"),
    staticRejoinRebalancesWhileCompleting: at(version, "2.5"),
    heartbeatDuringCompletingRebalance: at(version, "2.7"),
    staticRejoinStoresGroup: at(version, "2.7"),
    joinUpdatesTimeouts: at(version, "3.4"),
    heartbeatChecksGenerationFirst: at(version, "2.3"),
    cooperativeRebalance: at(version, "2.4"),
    consumerOffsetValidation: at(version, "2.3"),
    pollDuringRebalance: at(version, "2.5"),
    consumerValidationResetsUnknownEpoch: at(version, "2.6"),
    joinPrepareAutoCommit: at(version, "3.3") ? "async" : at(version, "3.2") ? "async-revoke-first" : "sync",
    clientGenerationGuard: at(version, "2.6"),
    staleCommitSkipsResetOnlyPreparing: at(version, "2.7"),
    commitRebalanceKeepsGeneration: at(version, "2.4"),
    illegalGenerationKeepsMemberId: at(version, "3.2"),
  };
}

export type ConfigValue = number | boolean | string;
export type ConfigMap = Record<string, ConfigValue>;

const NEVER = Number.MAX_SAFE_INTEGER;

/** Broker (and topic-level) defaults of a release: KafkaConfig.scala / LogConfig of that version. */
export function brokerDefaults(version: KafkaVersion): ConfigMap {
  return {
    "num.network.threads": 3,
    "num.io.threads": 8,
    "num.replica.fetchers": 1,
    "replica.fetch.wait.max.ms": 500,
    "replica.fetch.min.bytes": 1,
    "replica.fetch.max.bytes": 1_048_576,
    "replica.fetch.backoff.ms": 1000,
    "replica.socket.timeout.ms": 30_000,
    // KIP-537 (2.5) raised both: 10 s -> 30 s and 6 s -> 18 s.
    "replica.lag.time.max.ms": at(version, "2.5") ? 30_000 : 10_000,
    "zookeeper.session.timeout.ms": at(version, "2.5") ? 18_000 : 6_000,
    "replica.high.watermark.checkpoint.interval.ms": 5000,
    "min.insync.replicas": 1,
    // KIP-106 (0.11) turned unclean leader election off by default.
    "unclean.leader.election.enable": !at(version, "0.11"),
    "auto.leader.rebalance.enable": true,
    "leader.imbalance.check.interval.seconds": 300,
    "leader.imbalance.per.broker.percentage": 10,
    "controlled.shutdown.enable": true,
    "controlled.shutdown.max.retries": 3,
    "controlled.shutdown.retry.backoff.ms": 5000,
    "controller.socket.timeout.ms": 30_000,
    "log.flush.interval.messages": NEVER,
    "log.flush.interval.ms": NEVER,
    "log.flush.scheduler.interval.ms": NEVER,
    "log.segment.bytes": 1_073_741_824,
    "num.recovery.threads.per.data.dir": 1,
    "log.flush.offset.checkpoint.interval.ms": 60_000,
    // Retention (KafkaConfig; LogConfig / ServerLogConfigs later), the same in every release.
    // log.retention.ms and log.retention.minutes default to null (""): the hours apply.
    "log.retention.ms": "",
    "log.retention.minutes": "",
    "log.retention.hours": 168,
    "log.retention.bytes": -1,
    "log.retention.check.interval.ms": 300_000,
    "log.segment.delete.delay.ms": 60_000,
    // KIP-107 (0.11).
    ...(at(version, "0.11") ? { "log.flush.start.offset.checkpoint.interval.ms": 60_000 } : {}),
    // KIP-227 (1.1): KafkaConfig.MaxIncrementalFetchSessionCacheSlots, atLeast(0).
    ...(at(version, "1.1") ? { "max.incremental.fetch.session.cache.slots": 1000 } : {}),
    // The group coordinator (KafkaConfig; GroupCoordinatorConfig from 3.8).
    "offsets.topic.num.partitions": 50,
    "offsets.topic.replication.factor": 3,
    "offsets.commit.required.acks": -1,
    "offsets.commit.timeout.ms": 5000,
    // KIP-134 (0.11).
    ...(at(version, "0.11") ? { "group.initial.rebalance.delay.ms": 3000 } : {}),
    "group.min.session.timeout.ms": 6000,
    // 30 minutes from 2.3 (KIP-345), 5 before.
    "group.max.session.timeout.ms": at(version, "2.3") ? 1_800_000 : 300_000,
  };
}

/** Producer defaults of a release: ProducerConfig.java of that version. */
export function producerDefaults(version: KafkaVersion): ConfigMap {
  const v3 = at(version, "3.0");
  return {
    // KIP-679 (3.0): acks=all and enable.idempotence=true by default.
    acks: v3 ? "all" : "1",
    // KAFKA-13598: 3.0.0 and 3.1.0 declare true but enable idempotence only when the user sets it
    // (ProducerConfig.idempotenceEnabled); effective from 3.2 (and 3.0.1, 3.1.1).
    "enable.idempotence": at(version, "3.2"),
    "batch.size": 16_384,
    "linger.ms": 0,
    "buffer.memory": 33_554_432,
    "max.block.ms": 60_000,
    "max.in.flight.requests.per.connection": 5,
    // KIP-91 (2.1): retries default went from 0 to Integer.MAX_VALUE, bounded by delivery.timeout.ms.
    retries: at(version, "2.1") ? 2_147_483_647 : 0,
    "retry.backoff.ms": 100,
    // KIP-580 (3.7).
    ...(at(version, "3.7") ? { "retry.backoff.max.ms": 1000 } : {}),
    "request.timeout.ms": 30_000,
    "delivery.timeout.ms": 120_000,
    "metadata.max.age.ms": 300_000,
    "reconnect.backoff.ms": 50,
    // KIP-144 (0.11).
    ...(at(version, "0.11") ? { "reconnect.backoff.max.ms": 1000 } : {}),
    // KIP-601 (2.7); the maximum went from 127 s to 30 s in 2.8.
    ...(at(version, "2.7") ? { "socket.connection.setup.timeout.ms": 10_000, "socket.connection.setup.timeout.max.ms": at(version, "2.8") ? 30_000 : 127_000 } : {}),
    // KIP-794 (3.3).
    ...(at(version, "3.3") ? { "partitioner.adaptive.partitioning.enable": true, "partitioner.availability.timeout.ms": 0, "partitioner.ignore.keys": false } : {}),
  };
}

/** Consumer defaults of a release: ConsumerConfig.java of that version. */
export function consumerDefaults(version: KafkaVersion): ConfigMap {
  return {
    // KIP-735 (3.0): 10 s -> 45 s.
    "session.timeout.ms": at(version, "3.0") ? 45_000 : 10_000,
    "heartbeat.interval.ms": 3000,
    "max.poll.interval.ms": 300_000,
    "max.poll.records": 500,
    "fetch.min.bytes": 1,
    "fetch.max.wait.ms": 500,
    "fetch.max.bytes": 52_428_800,
    "max.partition.fetch.bytes": 1_048_576,
    "enable.auto.commit": true,
    "auto.commit.interval.ms": 5000,
    "auto.offset.reset": "latest",
    // 3.0 (KIP-726's first step): [RangeAssignor, CooperativeStickyAssignor]; still eager, as range cannot cooperate.
    "partition.assignment.strategy": at(version, "3.0") ? "range,cooperative-sticky" : "range",
    // 2.0 (KIP-266): 305 s -> 30 s.
    "request.timeout.ms": at(version, "2.0") ? 30_000 : 305_000,
    ...(at(version, "2.0") ? { "default.api.timeout.ms": 60_000 } : {}),
    "retry.backoff.ms": 100,
    "reconnect.backoff.ms": 50,
    ...(at(version, "0.11") ? { "reconnect.backoff.max.ms": 1000 } : {}),
    "metadata.max.age.ms": 300_000,
    // KIP-345 (2.3); empty stands for null (a dynamic member). A group's members get "<id>-<n>".
    ...(at(version, "2.3") ? { "group.instance.id": "" } : {}),
  };
}

/** A config with typed getters; keys are Kafka's. */
export class KafkaConfig {
  constructor(private readonly values: ConfigMap) {}

  /**
   * The release's defaults overlaid with what the user set. A key the release does not have (one
   * of another release, accepted at load) is left out, as Kafka ignores a config it does not know
   * (AbstractConfig.logUnused): the model must not read it.
   */
  static merge(defaults: ConfigMap, ...layers: Array<ConfigMap | Record<string, unknown> | undefined>): KafkaConfig {
    const out: ConfigMap = { ...defaults };
    for (const layer of layers) {
      if (layer === undefined) continue;
      for (const [k, v] of Object.entries(layer)) if (k in defaults && (typeof v === "number" || typeof v === "boolean" || typeof v === "string")) out[k] = v;
    }
    return new KafkaConfig(out);
  }

  has(key: string): boolean {
    return key in this.values;
  }

  num(key: string): number {
    const v = this.values[key];
    if (typeof v === "number") return v;
    if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
    throw new Error(`config ${key}: expected a number, got ${String(v)}`);
  }

  bool(key: string): boolean {
    const v = this.values[key];
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    throw new Error(`config ${key}: expected true or false, got ${String(v)}`);
  }

  str(key: string): string {
    return String(this.values[key]);
  }

  /** acks as Kafka parses it: "all" is -1. */
  acks(): number {
    const v = String(this.values["acks"]);
    return v === "all" || v === "-1" ? -1 : Number(v);
  }
}
