/**
 * `npm run bench`: prints one `name=value` line per figure, so CI logs and scripts can read
 * them. Benchmarks measure; tests assert behaviour.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { holdOnKafkasim, holdOnSimjs } from "./holdModel.js";

function main(): void {
  const events = Number(process.env.HOLD_EVENTS ?? 10_000_000);
  // Mean delay 1 s on the µs clock: 10,000 events spread over seconds, as in a real run (a
  // 1 ms mean would pack ~10 events into every microsecond, which no scenario does).
  const opts = { pending: 10_000, events, meanDelayUs: 1_000_000, seed: 1 };
  // A short warm-up lets the JIT settle before the measured runs.
  holdOnKafkasim({ ...opts, events: 500_000 });
  const ours = holdOnKafkasim(opts);
  holdOnSimjs({ ...opts, events: 200_000 });
  const theirs = holdOnSimjs(opts);
  console.log(`engine.hold.events_per_sec=${Math.round(ours.eventsPerSec)}`);
  console.log(`engine.hold.simjs_events_per_sec=${Math.round(theirs.eventsPerSec)}`);
  console.log(`engine.hold.ratio_vs_simjs=${(ours.eventsPerSec / theirs.eventsPerSec).toFixed(2)}`);
  // The reference scenario runs in a child process so that its peak RSS is its own. A 16 MB
  // young generation (V8's default is smaller) cuts scavenge time for the simulation's many
  // short-lived messages by a few percent at ~15 MB of RSS.
  const reference = fileURLToPath(new URL("./reference.js", import.meta.url));
  process.stdout.write(execFileSync(process.execPath, ["--max-semi-space-size=16", reference], { encoding: "utf8" }));
}

main();
