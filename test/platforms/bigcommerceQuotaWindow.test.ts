import { describe, expect, it } from "vitest";
import { type AnswerFigures, localQuotaWindow } from "../../app/platforms/bigcommerce/quotaWindow.server";
import { manualClock } from "../helpers/clock";

const claimOptions = { slackMs: 25, claimMs: 1_000, takeOver: false };

function answer(figures: Partial<AnswerFigures>): AnswerFigures {
  return { requestsLeft: 19, timeResetMs: 30_000, timeWindowMs: 30_000, ageMs: 0, sent: 1, throttled: false, ...figures };
}

describe("the BigCommerce quota window, as one process keeps it", () => {
  it("lets one answer open a window; later answers of it are current, answers of the one before are stale", async () => {
    const clock = manualClock(1_000_000);
    const window = localQuotaWindow(clock);
    expect(await window.applyAnswer(answer({}))).toMatchObject({ window: "opened", msUntilEnd: 30_000 });
    await clock.advance(100);
    expect(await window.applyAnswer(answer({ requestsLeft: 18, timeResetMs: 29_900, sent: 2 }))).toMatchObject({ window: "current", lowerBy: 0 });
    // Processed late, but it arrived while the window was open: its age puts it in that window.
    await clock.advance(30_000);
    expect(await window.applyAnswer(answer({ requestsLeft: 17, timeResetMs: 29_890, ageMs: 29_990, sent: 3 }))).toMatchObject({ window: "current" });
    expect(await window.applyAnswer(answer({ timeResetMs: 30_000 }))).toMatchObject({ window: "opened" });
    expect(await window.applyAnswer(answer({ requestsLeft: 5, timeResetMs: 5, ageMs: 30_000 }))).toMatchObject({ window: "stale", lowerBy: 0 });
  });

  it("takes off what others spent, once", async () => {
    const clock = manualClock(1_000_000);
    const window = localQuotaWindow(clock);
    await window.applyAnswer(answer({ requestsLeft: 19, sent: 1 }));
    // 19 → 8 while we sent one more: ten were spent by other apps.
    expect(await window.applyAnswer(answer({ requestsLeft: 8, timeResetMs: 29_000, sent: 2 }))).toMatchObject({ lowerBy: 10 });
    expect(await window.applyAnswer(answer({ requestsLeft: 7, timeResetMs: 28_000, sent: 3 }))).toMatchObject({ lowerBy: 0 });
  });

  it("hands out one probe claim per window; a claim that is never answered expires, or is taken over after a lost answer", async () => {
    const clock = manualClock(1_000_000);
    const window = localQuotaWindow(clock);
    expect(await window.claimProbe(claimOptions)).toEqual({ state: "claimed" });
    expect(await window.claimProbe(claimOptions)).toEqual({ state: "held", msLeft: 1_000 });
    await clock.advance(1_000);
    expect(await window.claimProbe(claimOptions)).toEqual({ state: "claimed" });
    expect(await window.claimProbe({ ...claimOptions, takeOver: true })).toEqual({ state: "claimed" });

    await window.applyAnswer(answer({ timeResetMs: 2_000 }));
    expect(await window.claimProbe({ ...claimOptions, takeOver: true })).toEqual({ state: "open", msLeft: 2_025 });
    await clock.advance(2_025);
    expect(await window.claimProbe(claimOptions)).toEqual({ state: "claimed" });
  });

  it("a 429 ends the window no earlier than its reset says", async () => {
    const clock = manualClock(1_000_000);
    const window = localQuotaWindow(clock);
    await window.applyAnswer(answer({ timeResetMs: 1_000, timeWindowMs: 30_000 }));
    await window.applyAnswer(answer({ requestsLeft: 0, timeResetMs: 5_000, timeWindowMs: 30_000, throttled: true }));
    expect(await window.claimProbe(claimOptions)).toEqual({ state: "open", msLeft: 5_025 });
  });
});
