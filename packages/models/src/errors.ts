// Error types of @ola/models. Every error names the thing (file, node, tensor, record) and the place,
// so a user can act on it without a stack trace. Callers may branch on the class or on `code`.

export type ModelsErrorCode =
  | "DATA_MISSING"
  | "DATA_CORRUPT"
  | "ONNX_MALFORMED"
  | "ONNX_UNSUPPORTED_OPERATOR"
  | "ONNX_NON_POLYNOMIAL_OPERATOR"
  | "ONNX_SHAPE"
  | "ONNX_INVALID"
  | "MODEL_UNKNOWN"
  | "TRANSFORM";

export class ModelsError extends Error {
  readonly code: ModelsErrorCode;
  constructor(code: ModelsErrorCode, message: string) {
    super(message);
    this.name = "ModelsError";
    this.code = code;
  }
}

/** A data file or folder is missing: names the file and how to point OLA_DATA at the data. */
export class DataMissingError extends ModelsError {
  readonly path: string;
  constructor(path: string, what: string) {
    super(
      "DATA_MISSING",
      `${what} not found: ${path}. Set OLA_DATA to the ola-data folder (default: ../shared/ola-data relative to the repository root), e.g. OLA_DATA=/path/to/ola-data`,
    );
    this.name = "DataMissingError";
    this.path = path;
  }
}

/** A data file exists but its content is not what its format promises (size, label range, checksum). */
export class DataCorruptError extends ModelsError {
  constructor(message: string) {
    super("DATA_CORRUPT", message);
    this.name = "DataCorruptError";
  }
}

/** The bytes are not a decodable ONNX ModelProto (malformed protobuf, truncated file, no graph). */
export class OnnxMalformedError extends ModelsError {
  constructor(message: string) {
    super("ONNX_MALFORMED", message);
    this.name = "OnnxMalformedError";
  }
}

export class UnsupportedOperatorError extends ModelsError {
  readonly opType: string;
  readonly nodeName: string;
  constructor(opType: string, nodeName: string, message: string, code: ModelsErrorCode = "ONNX_UNSUPPORTED_OPERATOR") {
    super(code, message);
    this.name = "UnsupportedOperatorError";
    this.opType = opType;
    this.nodeName = nodeName;
  }
}

/** Operators such as MaxPool that no polynomial (hence no CKKS circuit) evaluates exactly. */
export class NonPolynomialOperatorError extends UnsupportedOperatorError {
  constructor(opType: string, nodeName: string, message: string) {
    super(opType, nodeName, message, "ONNX_NON_POLYNOMIAL_OPERATOR");
    this.name = "NonPolynomialOperatorError";
  }
}

/** Static shape inference found incompatible shapes: names the node, its operator and the shapes. */
export class ShapeError extends ModelsError {
  readonly nodeName: string;
  constructor(nodeName: string, message: string) {
    super("ONNX_SHAPE", message);
    this.name = "ShapeError";
    this.nodeName = nodeName;
  }
}

/** The graph is structurally invalid (dangling tensor, cycle, missing attribute, external data...). */
export class OnnxInvalidError extends ModelsError {
  constructor(message: string) {
    super("ONNX_INVALID", message);
    this.name = "OnnxInvalidError";
  }
}

export class TransformError extends ModelsError {
  constructor(message: string) {
    super("TRANSFORM", message);
    this.name = "TransformError";
  }
}
