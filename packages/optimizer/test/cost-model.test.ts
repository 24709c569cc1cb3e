import { describe, expect, it } from "vitest";
import {
  analyticCostModel,
  analyticCostTable,
  candidateSeconds,
  networkCost,
  TableCostModel,
  validateCostTable,
  type PolyCost,
} from "../src/index.js";

const poly = (depth: number, ns: number, s = 0, a = 0): PolyCost => ({ depth, nonScalarMultiplications: ns, scalarMultiplications: s, additions: a });

describe("analytic cost table", () => {
  it("reproduces the measured node-seal points it is built from (TOOLCHAIN §2.3, N=2^15)", () => {
    const t = analyticCostTable();
    const top = t.levels.find((l) => l.primes === 20)!;
    const low = t.levels.find((l) => l.primes === 2)!;
    expect(top.seconds.mulRelin).toBeCloseTo(0.339, 9);
    expect(low.seconds.mulRelin).toBeCloseTo(0.011, 9);
    expect(top.seconds.rotate).toBeCloseTo(0.319, 9);
    expect(low.seconds.add).toBeCloseTo(0.00008, 9);
    expect(validateCostTable(JSON.parse(JSON.stringify(t)))).toEqual(t);
  });
  it("op times grow monotonically with the number of primes", () => {
    const t = analyticCostTable();
    for (let i = 1; i < t.levels.length; i++) {
      for (const k of Object.keys(t.levels[i]!.seconds) as (keyof (typeof t.levels)[0]["seconds"])[]) {
        expect(t.levels[i]!.seconds[k]).toBeGreaterThan(t.levels[i - 1]!.seconds[k]);
      }
    }
  });
  it("validation names the bad field", () => {
    const t = JSON.parse(JSON.stringify(analyticCostTable()));
    t.levels[3].seconds.rotate = -1;
    expect(() => validateCostTable(t, "c.json")).toThrow(/c\.json: levels\[3\]\.seconds\.rotate/);
  });
});

describe("cost model", () => {
  const m = analyticCostModel();
  it("polynomial time is monotone in multiplications and level", () => {
    expect(m.polySeconds(poly(3, 5), 8)).toBeGreaterThan(m.polySeconds(poly(3, 4), 8));
    expect(m.polySeconds(poly(3, 4), 9)).toBeGreaterThan(m.polySeconds(poly(3, 4), 5));
    // one non-scalar multiplication at 10 primes: between the 2- and 20-prime measurements
    const t = m.polySeconds(poly(0, 1), 9);
    expect(t).toBeGreaterThan(0.011 + 0.0028);
    expect(t).toBeLessThan(0.339 + 0.0269);
  });

  it("counts bootstraps like a brute-force level walk", () => {
    const L = m.levelsAfterBootstrap;
    // Brute force: simulate level by level; bootstrap whenever a level is needed and none is left.
    const brute = (depths: number[]) => {
      let left = L, b = 0;
      for (const d of depths) {
        const need = m.linearDepth + d;
        if (need > left) { b++; left = L; }
        let n = need;
        while (n > 0) { if (left === 0) { b++; left = L; } left--; n--; }
      }
      return b;
    };
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const depths = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => Math.floor(rnd() * (2 * L)));
      const nc = networkCost(m, depths.map((d) => poly(d, d)));
      expect(nc.bootstraps).toBe(brute(depths));
      expect(nc.seconds).toBeCloseTo(nc.polySeconds + nc.bootstraps * m.bootstrapSeconds, 9);
    }
  });

  it("deeper polynomials force more bootstraps, so depth costs time", () => {
    const shallow = networkCost(m, Array(19).fill(poly(3, 4)));
    const deep = networkCost(m, Array(19).fill(poly(15, 20)));
    expect(deep.bootstraps).toBeGreaterThan(shallow.bootstraps);
    expect(candidateSeconds(m, poly(6, 6))).toBeGreaterThan(candidateSeconds(m, poly(3, 6)));
  });

  it("a measured table's bootstrap figures override the analytic ones", () => {
    const t = { ...analyticCostTable(), bootstrapSeconds: 12.5, levelsAfterBootstrap: 7 };
    const mm = new TableCostModel(t);
    expect(mm.bootstrapSeconds).toBe(12.5);
    expect(mm.levelsAfterBootstrap).toBe(7);
    expect(() => new TableCostModel(t, { linearDepth: 7 })).toThrow(/linearDepth/);
  });
});
