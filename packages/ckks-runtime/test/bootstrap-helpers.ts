// Shared checks of the bootstrapping tests.
import type { BootstrapPlan } from "../src/bootstrap/bootstrapper.js";
import { buildEncodingFactors, coefficientsFromSlots } from "../src/bootstrap/encoding-map.js";

/**
 * CoeffToSlot's decrypted outputs (`halves`) against the message: K·u = I + m_k·Δ0/q0 with integer I.
 * Returns the largest |I| and the largest deviation of the fractional part from the message coefficient.
 */
export function coeffToSlotError(plan: BootstrapPlan, N: number, msg: Float64Array, halves: Float64Array[]): { c2sErr: number; maxI: number } {
  const n = msg.length;
  const K = plan.evalMod.K;
  const coeffs = coefficientsFromSlots(buildEncodingFactors(N), { re: msg, im: new Float64Array(n) });
  const ratio = plan.inputScale / plan.q0;
  let c2sErr = 0;
  let maxI = 0;
  halves.forEach((u, h) => {
    const perm = h === 0 ? plan.coeffToSlot.permA : plan.coeffToSlot.permB;
    for (let s = 0; s < n; s++) {
      const x = K * u[s];
      const I = Math.round(x);
      maxI = Math.max(maxI, Math.abs(I));
      c2sErr = Math.max(c2sErr, Math.abs(x - I - coeffs[perm[s]] * ratio));
    }
  });
  return { c2sErr, maxI };
}
