import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rng } from "./helpers.js";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator } from "../src/evaluator.js";
import { BOOT_TEST_N12 } from "../src/bootstrap/presets.js";
import { RawPlaintextFactory, modRaise, CT } from "../src/bootstrap/seal-bytes.js";
import { nttNegacyclic, sampleSparseTernary, secretKeyBytes } from "../src/bootstrap/sparse-secret.js";
import { buildEncodingFactors, coefficientsFromSlots } from "../src/bootstrap/encoding-map.js";


describe("SEAL-level bootstrapping primitives (N=2^12, insecure test chain)", () => {
  let ctx: CkksContext;
  let client: CkksClient;
  let ev: Evaluator;
  let raw: RawPlaintextFactory;
  let secret: Int8Array;
  beforeAll(async () => {
    ctx = await CkksContext.create(BOOT_TEST_N12.params, { allowInsecure: true });
    const r = rng(1);
    secret = sampleSparseTernary(ctx.N, 64, (n) => Math.floor(r() * n));
    client = new CkksClient(ctx, { secretKey: secretKeyBytes(ctx, secret) });
    ev = new Evaluator(ctx, client.evaluationKeys([0, 1]));
    raw = new RawPlaintextFactory(ctx);
  });
  afterAll(() => {
    raw?.dispose();
    ev?.dispose();
    client?.dispose();
    ctx?.dispose();
  });

  it("the JS negacyclic NTT matches SEAL's NTT (via a ciphertext container)", () => {
    const N = ctx.N;
    const level = 1;
    const coeffs = Float64Array.from({ length: N }, (_, k) => ((k * 7919) % 201) - 100);
    const bytes = raw.build(coeffs, level, 1);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    const primes = ctx.levelInfo(level).primes;
    primes.forEach((q, i) => {
      const a = Array.from(coeffs, (v) => (v >= 0 ? BigInt(v) : q + BigInt(v)));
      nttNegacyclic(a, q);
      for (const k of [0, 1, 2, 1000, N - 1]) expect(dv.getBigUint64(88 + 8 * (i * N + k), true)).toBe(a[k]);
    });
  });

  it("a custom sparse secret key (h=64) encrypts, decrypts, relinearises and rotates", () => {
    expect(secret.reduce((a, v) => a + Math.abs(v), 0)).toBe(64);
    const x = Float64Array.from({ length: ctx.slots }, (_, i) => Math.sin(i));
    const ct = client.encrypt(x);
    const sq = ev.mul(ct, ct);
    const rot = ev.rotate(ct, 1);
    const d = client.decrypt(sq);
    const dr = client.decrypt(rot);
    for (const i of [0, 5, 100, ctx.slots - 2]) {
      expect(d[i]).toBeCloseTo(x[i] * x[i], 6);
      expect(dr[i]).toBeCloseTo(x[i + 1], 6);
    }
    [ct, sq, rot].forEach((c) => c.dispose());
  });

  it("raw complex-slot plaintexts decode to the requested slots (real part) and act as complex multipliers", () => {
    const f = buildEncodingFactors(ctx.N);
    const r = rng(5);
    const n = ctx.slots;
    const z = { re: Float64Array.from({ length: n }, () => r() - 0.5), im: Float64Array.from({ length: n }, () => r() - 0.5) };
    const top = ctx.topLevel;
    const pt = raw.load(raw.build(coefficientsFromSlots(f, z), top, 2 ** 40));
    const dec = Float64Array.from(client.encoder.sealEncoder.decode(pt.handle) as Float64Array);
    for (let j = 0; j < n; j += 97) expect(dec[j]).toBeCloseTo(z.re[j], 9);
    // (x real) · z then conj-add: 2·x·Re z;  the imaginary part shows through a second plaintext -i·z
    const x = Float64Array.from({ length: n }, () => r() - 0.5);
    const ct = client.encrypt(x);
    const prod = ev.mulPlain(ct, pt, { rescale: false });
    prod.handle.setScale(ct.scale);
    const out = client.decrypt(prod);
    for (let j = 0; j < n; j += 97) expect(out[j] / 2 ** 40).toBeCloseTo(x[j] * z.re[j], 6);
    const mi = { re: z.im, im: z.re.map((v) => -v) }; // -i·z
    const pt2 = raw.load(raw.build(coefficientsFromSlots(f, mi), top, 2 ** 40));
    const prod2 = ev.mulPlain(ct, pt2, { rescale: false });
    const out2 = client.decrypt(prod2);
    for (let j = 0; j < n; j += 97) expect(out2[j]).toBeCloseTo(x[j] * z.im[j], 6);
    [pt, pt2, ct, prod, prod2].forEach((c) => c.dispose());
  });

  it("ModRaise: the raised ciphertext decrypts to m + q0·I with small integer I, and mod-switches back exactly", () => {
    const n = ctx.slots;
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i / 7) * 0.5);
    const ct = client.encrypt(x, { level: 0 });
    expect(ct.level).toBe(0);
    const S = 2 ** 45;
    const up = modRaise(ctx, ct, S);
    expect(up.level).toBe(ctx.topLevel);
    expect(up.scale).toBe(S);
    const back = ev.modSwitchTo(up, 0);
    back.handle.setScale(ct.scale);
    const d0 = client.decrypt(ct);
    const d1 = client.decrypt(back);
    for (let j = 0; j < n; j += 101) expect(d1[j]).toBe(d0[j]);
    // coefficient check through the secret: decrypt the raised ciphertext, read coefficients via INTT
    const seal = ctx.seal;
    const dec = seal.Decryptor(ctx.sealContext, (client as unknown as { secret: ReturnType<typeof seal.SecretKey> }).secret);
    const pt = seal.PlainText();
    dec.decrypt(up.handle, pt);
    // put the plaintext into a container (both polys) and run SEAL's INTT
    const L = ctx.topLevel + 1;
    const N = ctx.N;
    const ptBytes = pt.saveArray(seal.ComprModeType.none);
    const cont = seal.CipherText({ context: ctx.sealContext, parmsId: ctx.levelInfo(ctx.topLevel).parmsId, sizeCapacity: 2 });
    cont.resize(2);
    const cb = cont.saveArray(seal.ComprModeType.none).slice();
    cb.set(ptBytes.subarray(88, 88 + 8 * L * N), CT.data);
    cb.set(ptBytes.subarray(88, 88 + 8 * L * N), CT.data + 8 * L * N);
    new DataView(cb.buffer).setUint8(CT.isNtt, 1);
    cont.loadArray(ctx.sealContext, cb);
    const sev = seal.Evaluator(ctx.sealContext);
    sev.cipherTransformFromNtt(cont, cont);
    const cbytes = cont.saveArray(seal.ComprModeType.none);
    const cdv = new DataView(cbytes.buffer, cbytes.byteOffset);
    const q0 = Number(ctx.levelInfo(0).primes[0]);
    const q1 = ctx.levelInfo(ctx.topLevel).primes[1];
    let maxI = 0;
    let maxFrac = 0;
    for (let k = 0; k < N; k++) {
      // CRT is not needed: |m + q0 I| < q0·2^7 < q1·q0/2... use the residue mod q0 and mod q1 to get t exactly
      const r0 = cdv.getBigUint64(CT.data + 8 * k, true);
      const r1 = cdv.getBigUint64(CT.data + 8 * (N + k), true);
      const Q0 = BigInt(q0);
      // t ≡ r0 (mod q0), t ≡ r1 (mod q1), |t| < q0·q1/2
      const inv = modInv(Q0 % q1, q1);
      let t = r0 + Q0 * ((((r1 - r0) % q1) + q1) * inv % q1);
      const M = Q0 * q1;
      if (t > M / 2n) t -= M;
      const I = Math.round(Number(t) / q0);
      maxI = Math.max(maxI, Math.abs(I));
      maxFrac = Math.max(maxFrac, Math.abs(Number(t) / q0 - I));
    }
    expect(maxI).toBeGreaterThan(0);
    expect(maxI).toBeLessThan(16);
    expect(maxFrac).toBeLessThan(2 ** -6); // |m| / q0 is about 2^40·2^-6/2^50
    [ct, up, back].forEach((c) => c.dispose());
    pt.delete();
    cont.delete();
    sev.delete();
    dec.delete();
  });
});

function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}
