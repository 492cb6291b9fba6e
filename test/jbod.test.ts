/** Several disks per broker (JBOD) in scenario files: layout, validation, and disk faults by index. */
import { describe, expect, it } from "vitest";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { buildWorld } from "../scenarios/world.js";
import { scheduleFaults } from "../scenarios/faults.js";

const doc = (cluster: string, faults = "") => `
name: jbod
duration: 20s
cluster:
  racks: [a, b]
${cluster}
topics:
  - { name: orders, partitions: 1, replication.factor: 2 }
${faults}
`;

function problems(text: string): string[] {
  const r = loadScenario(text, "j.yaml");
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe("disks per broker", () => {
  it("cluster.disks gives every broker that many disks, a broker's own `disks` wins; ZooKeeper keeps its profile's one", () => {
    const r = loadScenario(doc("  brokers: [{ id: 1 }, { id: 2, disks: 3 }]\n  disks: 2"), "j.yaml");
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    expect(r.scenario.hosts.map((h) => [h.name, h.disks])).toEqual([
      ["zk-1", 1],
      ["broker-1", 2],
      ["broker-2", 3],
    ]);
    const world = buildWorld(r.scenario, 1);
    expect(world.machines.get("broker-2")!.disks.map((d) => d.name)).toEqual(["broker-2/disk", "broker-2/disk-1", "broker-2/disk-2"]);
  });

  it("checks a fault's disk index against the disks of every host it can hit", () => {
    expect(problems(doc("  brokers: 2\n  disks: 2", "faults:\n  - { at: 5s, fullDisk: broker-1, disk: 1 }"))).toEqual([]);
    expect(problems(doc("  brokers: 2\n  disks: 2", "faults:\n  - { at: 5s, fullDisk: broker-1, disk: 2 }"))).toEqual([
      "j.yaml:11:41: faults[0].disk: expected a disk index below 2, the number of disks of broker-1 (got 2)",
    ]);
    expect(problems(doc("  brokers: [{ id: 1, disks: 2 }, { id: 2 }]", 'faults:\n  - { at: 5s, failDisk: "leader:orders-0", disk: 1 }'))).toEqual([
      expect.stringMatching(/faults\[0\]\.disk: expected a disk index below 1, the number of disks of broker-2 \(got 1\)/),
    ]);
    expect(problems(doc("  brokers: 2", "faults:\n  - { at: 5s, crash: broker-1, disk: 0 }"))[0]).toMatch(/faults\[0\]\.disk: expected `disk` only with failDisk, fullDisk or slowDisk/);
    expect(problems(doc("  brokers: 2\n  disks: 0"))[0]).toMatch(/cluster\.disks/);
  });

  it("a disk fault with `disk` hits that disk only, without it every disk; the end of the fault window repairs them", () => {
    const r = loadScenario(doc("  brokers: 2\n  disks: 2", "faults:\n  - { at: 5s, failDisk: broker-1, disk: 1 }\n  - { at: 6s, fullDisk: broker-2 }"), "j.yaml");
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    const world = buildWorld(r.scenario, 1);
    scheduleFaults(world);
    world.sim.run({ untilUs: 7_000_000 });
    const b1 = world.machines.get("broker-1")!.disks;
    const b2 = world.machines.get("broker-2")!.disks;
    expect(b1.map((d) => d.failed)).toEqual([false, true]);
    expect(b2.map((d) => d.capacityBytes === d.usedBytes)).toEqual([true, true]);
    world.sim.run({ untilUs: 21_000_000 });
    expect(b1.map((d) => d.failed)).toEqual([false, false]);
    expect(b2.map((d) => d.capacityBytes === d.spec.capacityBytes)).toEqual([true, true]);
  });
});
