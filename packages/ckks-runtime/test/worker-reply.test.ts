// The packed reply of the bootstrap half worker (workers/protocol.ts): several serialised ciphertexts in one
// shared buffer. Round trip against the inputs, and corrupt headers refused by name.
import { describe, expect, it } from "vitest";
import { packCiphertexts, unpackCiphertexts } from "../src/workers/protocol.js";

describe("packCiphertexts / unpackCiphertexts", () => {
  it("round-trips zero, one and several byte strings of different lengths", () => {
    for (const list of [[], [Uint8Array.of(1, 2, 3)], [new Uint8Array(0), Uint8Array.from({ length: 1000 }, (_, i) => i % 251), Uint8Array.of(7)]]) {
      const packed = packCiphertexts(list);
      expect(packed.byteLength).toBe(4 * (1 + list.length) + list.reduce((a, b) => a + b.byteLength, 0));
      const back = unpackCiphertexts(packed);
      expect(back.map((b) => [...b])).toEqual(list.map((b) => [...b]));
    }
  });

  it("reads from a view at an offset (the reply buffer's data starts after its state words)", () => {
    const packed = packCiphertexts([Uint8Array.of(9, 8), Uint8Array.of(7)]);
    const buf = new Uint8Array(16 + packed.byteLength);
    buf.set(packed, 16);
    expect(unpackCiphertexts(buf.subarray(16)).map((b) => [...b])).toEqual([[9, 8], [7]]);
  });

  it("refuses truncated data", () => {
    const packed = packCiphertexts([Uint8Array.of(1, 2, 3, 4)]);
    expect(() => unpackCiphertexts(packed.subarray(0, 2))).toThrow(/truncated header/);
    expect(() => unpackCiphertexts(packed.subarray(0, 6))).toThrow(/1 entries but only 6 bytes/);
    expect(() => unpackCiphertexts(packed.subarray(0, packed.byteLength - 1))).toThrow(/entry 0 \(4 bytes\) runs past the end/);
  });
});
