/** Errors carry a stable `code`; the CLI and MCP map codes to exit codes and messages in one place each. */
export type ErrorCode =
  | "NOT_FOUND"
  | "INVALID_INPUT"
  | "CONFIG_INVALID"
  | "STORE_UNAVAILABLE"
  | "SCHEMA_TOO_NEW"
  | "AUTH_REJECTED"
  | "UPSTREAM_UNREACHABLE"
  | "UPSTREAM_ERROR"
  | "CONFLICT"
  | "UNAVAILABLE"
  | "EMBEDDINGS_FAILED"
  /** Team mode: the caller's token does not allow this user_id. */
  | "FORBIDDEN";

export class MemoryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MemoryError";
    this.code = code;
  }
}

export class NotFoundError extends MemoryError {
  constructor(what: string, id: string) {
    super("NOT_FOUND", `${what} ${id} was not found`);
    this.name = "NotFoundError";
  }
}

export class InvalidInputError extends MemoryError {
  constructor(message: string) {
    super("INVALID_INPUT", message);
    this.name = "InvalidInputError";
  }
}

export class ConfigError extends MemoryError {
  constructor(message: string) {
    super("CONFIG_INVALID", message);
    this.name = "ConfigError";
  }
}

export function isMemoryError(e: unknown): e is MemoryError {
  return e instanceof MemoryError;
}

/** A message safe to show a person or a model: never a stack trace. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
