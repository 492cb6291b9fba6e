/**
 * The broker's background-task scheduler as its periodic tasks see it: KafkaScheduler.schedule(name,
 * task, delay, period) (kafka.utils.KafkaScheduler; org.apache.kafka.server.util.KafkaScheduler
 * from 3.5). One rule for every periodic task the simulator models (isr-expiration,
 * highwatermark-checkpoint, kafka-log-flusher, kafka-recovery-point-checkpoint, and 0.10.2's
 * partition-rebalance-thread):
 *
 * - a period > 0 runs the task at a fixed rate, first after the delay;
 * - a period < 0 runs it once, after the delay (every release: "If < 0 the task will execute only once");
 * - a period of 0 runs it once from 3.4 (#12882, "Don't call scheduleAtFixedRate when period is 0");
 *   before 3.4 it goes to ScheduledThreadPoolExecutor.scheduleAtFixedRate, which throws
 *   IllegalArgumentException for a period <= 0, out of schedule() and into its caller.
 *
 * A negative delay is no delay (ScheduledThreadPoolExecutor.triggerTime). We assume, as the rest of
 * the simulator does, that a task's own work takes no time, so a fixed-rate run is due exactly one
 * period after the previous one. A period too long for the clock (Long.MaxValue-like defaults)
 * means the first run is the only one.
 */
import type { Machine } from "../../Machine.js";
import type { Behaviour } from "../common/versions.js";

export type PeriodRule = "fixed-rate" | "once" | "throws";

/** What KafkaScheduler does with a period (in any unit: only its sign matters) at this release. */
export function periodRule(period: number, behaviour: Pick<Behaviour, "schedulerPeriodZeroRunsOnce">): PeriodRule {
  if (period > 0) return "fixed-rate";
  if (period < 0 || behaviour.schedulerPeriodZeroRunsOnce) return "once";
  return "throws";
}

/** The exception a period of 0 raises before 3.4, as Kafka would log it. */
export function periodZeroError(name: string): string {
  return `IllegalArgumentException from ScheduledThreadPoolExecutor.scheduleAtFixedRate: task '${name}' scheduled with period 0`;
}

export interface Scheduled {
  cancel(): void;
}

/**
 * KafkaScheduler.schedule: the task's runs as timers, or the error the call throws (the caller
 * decides where it goes, as the exception would). periodUs null: too long for the clock.
 */
export function schedule(machine: Machine, behaviour: Pick<Behaviour, "schedulerPeriodZeroRunsOnce">, name: string, delayUs: number, periodUs: number | null, task: () => void): Scheduled | { error: string } {
  const rule = periodUs === null ? "fixed-rate" : periodRule(periodUs, behaviour);
  if (rule === "throws") return { error: periodZeroError(name) };
  let timer = machine.setTimer(Math.max(0, delayUs), function run() {
    task();
    if (rule === "fixed-rate" && periodUs !== null) timer = machine.setTimer(periodUs, run);
  });
  return { cancel: () => machine.cancelTimer(timer) };
}
