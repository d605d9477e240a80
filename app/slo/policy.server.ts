import { z } from "zod";
import { LockstepError } from "../config/errors";
import type { SqlRunner } from "../db/database.server";
import { openCredential, sealCredential } from "../shops/credentials.server";
import { OBJECTIVE_KEYS, type Thresholds, thresholdsOf } from "./objectives";
import { readSloPolicy, upsertSloPolicy } from "./sql/sloPolicy";

export interface SloPolicy {
  thresholds: Thresholds;
  /** Only the overrides the shop set. */
  overrides: Partial<Thresholds>;
  notifyUrl: string | null;
  /** Whether a signing secret is stored (it is never shown back). */
  hasNotifySecret: boolean;
}

export async function getSloPolicy(sql: SqlRunner, shopId: string): Promise<SloPolicy> {
  const row = await readSloPolicy(sql, shopId);
  const overrides = (row?.objectives ?? {}) as Partial<Thresholds>;
  return { thresholds: thresholdsOf(overrides), overrides, notifyUrl: row?.notify_url ?? null, hasNotifySecret: Boolean(row?.notify_secret_sealed) };
}

/** The notification target with its secret opened: for the notifier only. */
export async function notifyTargetOf(sql: SqlRunner, encryptionKey: string, shopId: string): Promise<{ url: string; secret: string } | null> {
  const row = await readSloPolicy(sql, shopId);
  if (!row?.notify_url || !row.notify_secret_sealed) return null;
  return { url: row.notify_url, secret: openCredential(encryptionKey, row.notify_secret_sealed) };
}

const policyInput = z
  .object({
    objectives: z.partialRecord(z.enum(OBJECTIVE_KEYS as [string, ...string[]]), z.number().positive("thresholds must be positive numbers").finite()).optional(),
    notifyUrl: z
      .string()
      .trim()
      .url("notifyUrl must be an absolute http(s) URL")
      .refine((url) => /^https?:/.test(url), "notifyUrl must be an absolute http(s) URL")
      .nullable()
      .optional(),
    /** Standard Webhooks secret (`whsec_…`); kept when absent. */
    notifySecret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, "notifySecret must look like whsec_<base64>").optional(),
  })
  .strict();

/** Saves a shop's objectives and notification target; returns the policy before and after (for the audit log). */
export async function saveSloPolicy(sql: SqlRunner, encryptionKey: string, shopId: string, raw: unknown): Promise<{ before: SloPolicy; after: SloPolicy }> {
  const parsed = policyInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LockstepError("invalid_slo_policy", issue.message, { field: issue.path.join(".") });
  }
  const input = parsed.data;
  const before = await getSloPolicy(sql, shopId);
  if (input.notifyUrl && !input.notifySecret && !before.hasNotifySecret) {
    throw new LockstepError("invalid_slo_policy", "A notification URL needs a signing secret (notifySecret, whsec_…)", { field: "notifySecret" });
  }
  await upsertSloPolicy(sql, shopId, {
    objectives: (input.objectives ?? before.overrides) as Record<string, number>,
    notifyUrl: input.notifyUrl === undefined ? before.notifyUrl : input.notifyUrl,
    notifySecretSealed: input.notifySecret ? sealCredential(encryptionKey, input.notifySecret) : null,
  });
  return { before, after: await getSloPolicy(sql, shopId) };
}
