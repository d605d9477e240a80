// The Remix build carries its own copy of the app's modules: a brand (not the class identity)
// makes `instanceof LockstepError` true for errors thrown by either copy.
const BRAND = Symbol.for("lockstep.LockstepError");

/** The one error type of Lockstep: a machine code, a human message, the HTTP status it maps to. */
export class LockstepError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && BRAND in value;
  }

  readonly [BRAND] = true;
  readonly code: string;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, status = 400, details?: Record<string, unknown>) {
    super(message);
    this.name = "LockstepError";
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The JSON body every error answer carries: `{error: {code, message, ...details}}`. */
export function errorBody(error: LockstepError): { error: Record<string, unknown> } {
  return { error: { code: error.code, message: error.message, ...error.details } };
}
