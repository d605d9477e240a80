import { describe, expect, it } from "vitest";
import { errorBody, LockstepError } from "../../app/config/errors";

describe("LockstepError", () => {
  it("is recognised across module copies (the Remix build has its own) by its brand", () => {
    const fromOtherCopy = Object.assign(new Error("x"), { [Symbol.for("lockstep.LockstepError")]: true, code: "c", status: 409 });
    expect(fromOtherCopy instanceof LockstepError).toBe(true);
    expect(new Error("plain") instanceof LockstepError).toBe(false);
    expect((null as unknown) instanceof LockstepError).toBe(false);
  });

  it("becomes the JSON error body with its details", () => {
    const error = new LockstepError("insufficient_stock", "Not enough", { shortages: [] });
    expect(errorBody(error)).toEqual({ error: { code: "insufficient_stock", message: "Not enough", shortages: [] } });
    expect(error.status).toBe(409);
  });
});
