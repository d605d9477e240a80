import { Cron } from "croner";

// A destination's cadence (and an SFTP inbound pull's): a cron expression read by croner, in UTC.

/** Whether croner reads `expression` as a cron expression. */
export function isCron(expression: string): boolean {
  try {
    new Cron(expression, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

/** The next tick of a cadence strictly after `after` (UTC). */
export function nextTick(cadence: string, after: Date): Date {
  const cron = new Cron(cadence, { timezone: "UTC", paused: true });
  try {
    return cron.nextRun(after) ?? new Date(after.getTime() + 86_400_000);
  } finally {
    cron.stop();
  }
}
