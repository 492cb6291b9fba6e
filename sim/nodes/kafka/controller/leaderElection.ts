/**
 * The controller's leader election strategies (PartitionLeaderElectionAlgorithms), as pure
 * functions of the assignment, the ISR and the live brokers.
 */
export interface Election {
  leader: number;
  isr: number[];
  unclean: boolean;
}

/**
 * OfflinePartitionLeaderElection: the first live ISR member in assignment order, with the live
 * ISR members as the new ISR; else (unclean) the first live replica, alone in the ISR.
 */
export function offlineElection(replicas: readonly number[], isr: readonly number[], live: (id: number) => boolean, uncleanAllowed: boolean): Election | null {
  const clean = replicas.find((r) => live(r) && isr.includes(r));
  if (clean !== undefined) return { leader: clean, isr: isr.filter(live), unclean: false };
  if (!uncleanAllowed) return null;
  const unclean = replicas.find(live);
  return unclean === undefined ? null : { leader: unclean, isr: [unclean], unclean: true };
}

/** ControlledShutdownPartitionLeaderElection: a live ISR member that is not shutting down. */
export function controlledShutdownElection(replicas: readonly number[], isr: readonly number[], live: (id: number) => boolean, shuttingDown: ReadonlySet<number>): Election | null {
  const leader = replicas.find((r) => live(r) && isr.includes(r) && !shuttingDown.has(r));
  if (leader === undefined) return null;
  return { leader, isr: isr.filter((r) => !shuttingDown.has(r)), unclean: false };
}

/** PreferredReplicaPartitionLeaderElection: the first assigned replica, if it is live and in the ISR. */
export function preferredElection(replicas: readonly number[], isr: readonly number[], live: (id: number) => boolean): Election | null {
  const preferred = replicas[0];
  if (preferred === undefined || !live(preferred) || !isr.includes(preferred)) return null;
  return { leader: preferred, isr: isr.slice(), unclean: false };
}
