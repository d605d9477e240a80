import { describe, expect, it } from "vitest";
import type { PrismaClient, Shop } from "../../app/generated/prisma/client";
import { createApiTokenChanges, hashApiToken, rememberingApiTokens } from "../../app/shops/shops.server";

// The per-process memo of API tokens: a header of a real token's size is remembered as it is, a
// longer one by its hash; either way a token is looked up once per memory period.
function lookups(tokens: string[]) {
  const seen: string[] = [];
  const shop = { id: "shop-1", installState: "installed" } as Shop;
  const prisma = {
    shop: {
      findUnique: async ({ where }: { where: { apiTokenHash: string } }) => {
        seen.push(where.apiTokenHash);
        return tokens.some((token) => hashApiToken(token) === where.apiTokenHash) ? shop : null;
      },
    },
  } as unknown as PrismaClient;
  return { prisma, seen };
}

describe("remembered API tokens", () => {
  it("look a token up once, whether its header is short or longer than any real token", async () => {
    const short = `lst_${"a".repeat(32)}`;
    const long = `lst_${"b".repeat(300)}`;
    const { prisma, seen } = lookups([short, long]);
    const verify = rememberingApiTokens(prisma, { changes: createApiTokenChanges(), memoryMs: 60_000, missMemoryMs: 60_000, clock: { now: () => 0 } });
    for (let i = 0; i < 3; i++) {
      expect((await verify(`Bearer ${short}`)).id).toBe("shop-1");
      expect((await verify(`Bearer ${long}`)).id).toBe("shop-1");
    }
    expect(seen).toEqual([hashApiToken(short), hashApiToken(long)]);
  });

  it("remember a bogus header, long or short, as refused", async () => {
    const { prisma, seen } = lookups([]);
    const verify = rememberingApiTokens(prisma, { changes: createApiTokenChanges(), memoryMs: 60_000, missMemoryMs: 60_000, clock: { now: () => 0 } });
    for (const header of ["Bearer lst_not-a-token-at-all-0000", `Bearer lst_${"x".repeat(5000)}`]) {
      for (let i = 0; i < 3; i++) await expect(verify(header)).rejects.toMatchObject({ code: "invalid_token" });
    }
    expect(seen).toHaveLength(2);
  });
});
