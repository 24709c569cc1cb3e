// @ola/poly public API.
export { ChebyshevPoly, chebyshevInterpolant, chebyshevExtremaGrid, clenshaw, chebMul, type Parity } from "./chebyshev.js";
export {
  type PolyOp,
  type PolyCost,
  type PolyProgram,
  programCost,
  programLevels,
  runProgram,
  isSmallInteger,
  ProgramBuilder,
} from "./program.js";
export {
  compileChebyshev,
  compileComposite,
  compileCompositeRelu,
  chebyshevEvalCost,
  compositeCost,
  compositeReluCost,
  type CompileOptions,
  type ChebyshevCostOptions,
  type CompositeComponents,
  type CompositeCompileOptions,
} from "./compile.js";
export { remez, ddPow, type RemezOptions, type RemezResult, type EquioscillationCertificate } from "./remez.js";
export { type DD } from "./double-double.js";
export {
  compositeSign,
  compositeSignFromDegrees,
  optimalCompositeDegrees,
  paretoComponentDegrees,
  compositeReluError,
  evaluateComposite,
  type CompositeSign,
  type CompositeDegreeChoice,
  type CompositeSearchOptions,
  type ComponentChoice,
  type CompositeCostModel,
} from "./composite.js";
export { mpcnnOddPolyCost, mpcnnCompositeCost, type MpcnnOddPolyCost } from "./mpcnn-cost.js";
export { wlsFit, type WlsOptions, type WlsFit, type FitTarget, type FitDistribution } from "./wls.js";
export { erf, erfc, relu, gelu, silu, activations, type ActivationName } from "./activations.js";
export { gaussLegendre, compositeGaussLegendre } from "./quadrature.js";
