import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kafkasim } from "./helpers/cli.js";

const SCENARIO = "test/fixtures/tiny-crash.yaml";


async function canvasAvailable(): Promise<boolean> {
  try {
    await import("chartjs-node-canvas" as string);
    return true;
  } catch {
    return false;
  }
}

describe("kafkasim run --report", () => {
  it("writes the run's report with its time-series charts, and never overwrites a folder without --force", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kafkasim-report-")), "r");
    const a = await kafkasim("run", SCENARIO, "--seed", "2", "--report", dir);
    expect(a.code).toBe(0);
    expect(a.out).toContain(`report     ${dir}/report.md`);
    const json = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    expect(json).toMatchObject({ schemaVersion: 1, kind: "kafkasim-run-report", run: { seed: 2 } });
    expect(json.series.faults.map((f: { label: string }) => f.label)[0]).toMatch(/^crash leader:t-0 \(broker-\d\)$/);
    const md = readFileSync(join(dir, "report.md"), "utf8");
    expect(md).toContain("## Fault schedule");
    expect(md).toMatch(/\| lostAcked \(acknowledged, then gone\) \| 0 \|/);
    expect(readFileSync(join(dir, "report.html"), "utf8").includes('id="chart-run-produce-latency"'), "the page has the latency chart").toBe(true);
    if (await canvasAvailable()) expect(readdirSync(join(dir, "charts")).sort()).toEqual(["run-isr.png", "run-produce-latency.png", "run-throughput.png"]);
    else expect(a.err).toMatch(/PNG charts not written: .*apt-get install libcairo2-dev/);

    const again = await kafkasim("run", SCENARIO, "--seed", "3", "--report", dir);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/--report .*: not empty; nothing there is overwritten without --force/);
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")).run.seed).toBe(2);
    const forced = await kafkasim("run", SCENARIO, "--seed", "3", "--report", dir, "--force");
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")).run.seed).toBe(3);

    const file = join(mkdtempSync(join(tmpdir(), "kafkasim-report-")), "a-file");
    writeFileSync(file, "mine");
    const notDir = await kafkasim("run", SCENARIO, "--report", file);
    expect(notDir.code).toBe(2);
    expect(readFileSync(file, "utf8")).toBe("mine");
  }, 60_000);

  it("a sweep's report has its tables, its charts and the chosen run's time series", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kafkasim-report-")), "s");
    const r = await kafkasim("sweep", SCENARIO, "--set", "producer.acks=1,all", "--seeds", "1..2", "--out", dir, "--workers", "2");
    expect(r.code).toBe(0);
    const md = readFileSync(join(dir, "report.md"), "utf8");
    for (const t of ["## Lost acknowledged records", "## Unavailability and produce stalls", "## Latency", "c1: producer.acks=1", "c2: producer.acks=all"]) expect(md).toContain(t);
    const json = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    expect(json.chosenRun).toMatchObject({ config: expect.stringMatching(/^c[12]$/) });
    expect(json.chosenRun.series.t.length).toBeGreaterThan(10);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    for (const id of ["produce-latency-per-config", "loss-probability-per-config", "unavailability-per-config", "run-produce-latency"]) expect(html.includes(`id="chart-${id}"`), id).toBe(true);
    if (await canvasAvailable()) expect(existsSync(join(dir, "charts", "loss-probability-per-config.png"))).toBe(true);
  }, 60_000);
});
