// Plaintext slot simulation of an HeProgram: the same steps on float64 slot vectors (linear layers through
// the SlotProgram simulator, activations through @ola/poly's runProgram on every slot, bootstraps as the
// identity). It checks the compiled layouts and programs against onnxruntime without encryption, and is
// what the encrypted result must approach (the difference is CKKS noise).
import { runProgram } from "@ola/poly";
import { simulateSlotProgram } from "../linear/simulator.js";
import { CompileError, type HeProgram } from "./he-program.js";

/** Packs a CHW image (row-major, `inputShape` of the program) into the input slot vector. */
export function packInput(p: HeProgram, image: ArrayLike<number>): Float64Array {
  const enc = p.steps[0];
  if (!enc || enc.kind !== "encrypt") throw new CompileError("HeProgram does not start with its encrypt step");
  const [C, H, W] = p.inputShape;
  if (image.length !== C * H * W) throw new RangeError(`input has ${image.length} values, the program expects ${C}x${H}x${W} = ${C * H * W}`);
  const Cp = enc.layout.channels;
  const padded = new Float64Array(Cp * H * W);
  for (let i = 0; i < C * H * W; i++) padded[i] = image[i]!;
  return enc.layout.pack(padded);
}

/** Reads the logits from the output slot vector. */
export function readLogits(p: HeProgram, slots: ArrayLike<number>): Float64Array {
  const last = p.steps.find((s) => s.kind === "linear" && s.output === p.outputValue);
  if (!last || last.kind !== "linear" || !last.outputSlots) throw new CompileError("HeProgram has no classifier output");
  return Float64Array.from(last.outputSlots, (s) => slots[s]!);
}

/** Runs the program on plaintext slots; returns the logits. */
export function simulateHeProgram(p: HeProgram, image: ArrayLike<number>): Float64Array {
  return readLogits(p, simulateHeProgramSlots(p, image));
}

/** Runs steps 0..lastStep on plaintext slots; returns the slot vector of the last step's value. */
export function simulateHeProgramSlots(p: HeProgram, image: ArrayLike<number>, lastStep = p.steps.length - 1): Float64Array {
  return simulateHeProgramValues(p, image, lastStep).get(p.steps[lastStep]!.output)!;
}

/** Runs steps 0..lastStep on plaintext slots; returns every value's slot vector by value id. */
export function simulateHeProgramValues(p: HeProgram, image: ArrayLike<number>, lastStep = p.steps.length - 1): Map<number, Float64Array> {
  const vals = new Map<number, Float64Array>();
  for (const s of p.steps.slice(0, lastStep + 1)) {
    switch (s.kind) {
      case "encrypt":
        vals.set(s.output, packInput(p, image));
        break;
      case "linear":
        vals.set(s.output, simulateSlotProgram(s.program, vals.get(s.input)!));
        break;
      case "activation":
        vals.set(s.output, runProgram(s.program, vals.get(s.input)!));
        break;
      case "bootstrap":
        vals.set(s.output, vals.get(s.input)!);
        break;
      case "add": {
        const a = vals.get(s.a)!;
        const b = vals.get(s.b)!;
        const o = new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) o[i] = a[i]! + b[i]!;
        vals.set(s.output, o);
        break;
      }
    }
  }
  return vals;
}
