// sealBootstrapEngine's choice among several bootstrappers (no SEAL: stand-ins with the fields it reads): a value of
// period T goes to the bootstrapper of the fewest slots n >= T; unknown period -> full-slot; no fitting one -> error.
import { describe, expect, it } from "vitest";
import type { Bootstrapper } from "../src/bootstrap/bootstrapper.js";
import type { Ciphertext } from "../src/ciphertext.js";
import type { Evaluator } from "../src/evaluator.js";
import { sealBootstrapEngine } from "../src/compiler/index.js";

const N = 4096;
function standIn(slots: number, used: number[], output = 2): Bootstrapper {
  return {
    ctx: { params: { name: "stand-in" } },
    plan: { N, slots, levels: { output }, rotationSteps: [0, slots], evalMod: { K: 16, degree: slots === 2048 ? 55 : 31, doubleAngles: slots === 2048 ? 2 : 3 } },
    bootstrap: (ct: Ciphertext) => (used.push(slots), { ct }),
  } as unknown as Bootstrapper;
}
const ev = {} as Evaluator;
const ct = { level: 0 } as Ciphertext;

describe("sealBootstrapEngine with sparse-slot bootstrappers", () => {
  it("picks the fewest slots >= the period; union of rotation steps; full-slot for unknown period", () => {
    const used: number[] = [];
    const e = sealBootstrapEngine(ev, [standIn(2048, used), standIn(128, used), standIn(256, used)]);
    for (const [period, slots] of [[128, 128], [64, 128], [256, 256], [512, 2048], [2048, 2048], [undefined, 2048]] as const) {
      expect(e.slotsFor!(period)).toBe(slots);
      e.bootstrap(ct, period);
      expect(used.at(-1)).toBe(slots);
    }
    expect(e.rotationSteps).toEqual([0, 128, 256, 2048]);
    expect(e.levelsAfter).toBe(2);
    // the design names every bootstrapper's EvalMod (fewest slots first): checkpoints record it
    expect(e.design).toBe("128 slots: EvalMod K=16 degree 31 r=3; 256 slots: EvalMod K=16 degree 31 r=3; 2048 slots: EvalMod K=16 degree 55 r=2");
    expect(e.name).toContain("slots 128/256/2048");
  });

  it("refuses a value no bootstrapper can refresh and bootstrappers of different output levels", () => {
    const e = sealBootstrapEngine(ev, [standIn(256, [])]);
    expect(() => e.bootstrap(ct, 512)).toThrow(/no bootstrapper for a value of slot period 512 \(largest has 256 of 2048 slots\)/);
    expect(() => e.bootstrap(ct)).toThrow(/slot period unknown/);
    expect(() => sealBootstrapEngine(ev, [standIn(2048, []), standIn(256, [], 3)])).toThrow(/256-slot bootstrapper gives 3 levels, the 2048-slot one 2/);
    expect(() => sealBootstrapEngine(ev, [])).toThrow(/no bootstrapper given/);
    // a single full-slot bootstrapper keeps the old name
    expect(sealBootstrapEngine(ev, standIn(2048, [])).name).toBe("ckks-bootstrap(stand-in)");
  });
});
