import { expect, vi } from "vitest";
import { LockstepError } from "../../app/config/errors";

/** The LockstepError `promise` rejects with (the test fails when it resolves or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<LockstepError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LockstepError);
  return error as LockstepError;
}

/** Resolves once `condition` holds, looking again every `interval` ms (vi.waitFor), or fails after `timeout` ms naming `what`. */
export async function until(condition: () => boolean | Promise<boolean>, options: { timeout?: number; interval?: number; what?: string } = {}): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await condition())) throw new Error(`still waiting${options.what ? ` for ${options.what}` : ""}`);
    },
    { timeout: options.timeout ?? 30_000, interval: options.interval ?? 5 },
  );
}
