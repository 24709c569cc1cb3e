// Input normalisation done outside the graphs (models/README.md): x[c] = (pixel[c]/255 - mean[c]) / std[c],
// NCHW RGB float32. Each step is rounded to float32 like torchvision's ToTensor + Normalize on float32 tensors.
import { CIFAR10_IMAGE_BYTES } from "./cifar10.js";
import type { Normalization } from "./registry.js";

/** images: n x 3072 bytes (CHW per image, as in the CIFAR-10 binary) -> Float32Array [n,3,32,32]. */
export function normalizeImages(images: Uint8Array, normalization: Normalization): Float32Array {
  if (images.length % CIFAR10_IMAGE_BYTES !== 0) {
    throw new RangeError(`normalizeImages: ${images.length} bytes is not a multiple of ${CIFAR10_IMAGE_BYTES} (3x32x32)`);
  }
  const { mean, std } = normalization;
  if (mean.length !== 3 || std.length !== 3) throw new RangeError("normalizeImages: mean and std need 3 channels (RGB)");
  const out = new Float32Array(images.length);
  const plane = 1024;
  const m = mean.map(Math.fround);
  const s = std.map(Math.fround);
  // A 256-entry table per channel: exact float32 result for every byte value.
  const tables = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    for (let p = 0; p < 256; p++) t[p] = Math.fround(Math.fround(Math.fround(p / 255) - m[c]!) / s[c]!);
    return t;
  });
  for (let i = 0; i < images.length; i++) {
    const c = Math.floor(i / plane) % 3;
    out[i] = tables[c]![images[i]!]!;
  }
  return out;
}
