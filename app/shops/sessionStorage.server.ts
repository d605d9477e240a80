import { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import type { PrismaClient, Session as SessionRow } from "../generated/prisma/client";
import { isSealedCredential, openCredential, sealCredential } from "./credentials.server";

/**
 * Shopify's SessionStorage on Lockstep's own Prisma client (one database, one migration history).
 * Access and refresh tokens are sealed at rest with LOCKSTEP_ENCRYPTION_KEY, like BigCommerce's.
 */
export class PrismaSessionStorage implements SessionStorage {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly encryptionKey: string,
  ) {}

  async storeSession(session: Session): Promise<boolean> {
    const row = sealTokens(toRow(session), this.encryptionKey);
    await this.prisma.session.upsert({ where: { id: session.id }, create: row, update: row });
    return true;
  }

  async loadSession(id: string): Promise<Session | undefined> {
    const row = await this.prisma.session.findUnique({ where: { id } });
    return row ? toSession(openTokens(row, this.encryptionKey)) : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    await this.prisma.session.deleteMany({ where: { id } });
    return true;
  }

  async deleteSessions(ids: string[]): Promise<boolean> {
    await this.prisma.session.deleteMany({ where: { id: { in: ids } } });
    return true;
  }

  async findSessionsByShop(shop: string): Promise<Session[]> {
    const rows = await this.prisma.session.findMany({ where: { shop }, take: 100, orderBy: { id: "asc" } });
    return rows.map((row) => toSession(openTokens(row, this.encryptionKey)));
  }
}

/**
 * The one place a stored Shopify token is opened: the session storage and the raw readers (the
 * metafield sync, the backfill) all come through here. An empty token stays empty (no token).
 */
export function openSessionToken(encryptionKey: string, stored: string): string {
  return stored === "" ? "" : openCredential(encryptionKey, stored);
}

/** Seals a token for the session table; an empty or already sealed one stays as it is (so sealing twice is harmless). */
export function sealSessionToken(encryptionKey: string, token: string): string {
  return token === "" || isSealedCredential(token) ? token : sealCredential(encryptionKey, token);
}

function sealTokens(row: SessionRow, key: string): SessionRow {
  return { ...row, accessToken: sealSessionToken(key, row.accessToken), refreshToken: row.refreshToken === null ? null : sealSessionToken(key, row.refreshToken) };
}

function openTokens(row: SessionRow, key: string): SessionRow {
  return { ...row, accessToken: openSessionToken(key, row.accessToken), refreshToken: row.refreshToken === null ? null : openSessionToken(key, row.refreshToken) };
}

function toRow(session: Session): SessionRow {
  const user = session.onlineAccessInfo?.associated_user;
  return {
    id: session.id,
    shop: session.shop,
    state: session.state,
    isOnline: session.isOnline,
    scope: session.scope ?? null,
    expires: session.expires ?? null,
    accessToken: session.accessToken ?? "",
    refreshToken: session.refreshToken ?? null,
    refreshTokenExpires: session.refreshTokenExpires ?? null,
    userId: user?.id !== undefined ? BigInt(user.id) : null,
    firstName: user?.first_name ?? null,
    lastName: user?.last_name ?? null,
    email: user?.email ?? null,
    accountOwner: user?.account_owner ?? null,
    locale: user?.locale ?? null,
    collaborator: user?.collaborator ?? null,
    emailVerified: user?.email_verified ?? null,
  };
}

function toSession(row: SessionRow): Session {
  return new Session({
    id: row.id,
    shop: row.shop,
    state: row.state,
    isOnline: row.isOnline,
    scope: row.scope ?? undefined,
    expires: row.expires ?? undefined,
    accessToken: row.accessToken,
    refreshToken: row.refreshToken ?? undefined,
    refreshTokenExpires: row.refreshTokenExpires ?? undefined,
    onlineAccessInfo:
      row.userId !== null
        ? {
            expires_in: row.expires ? Math.max(0, Math.round((row.expires.getTime() - Date.now()) / 1000)) : 0,
            associated_user_scope: row.scope ?? "",
            associated_user: {
              id: Number(row.userId),
              first_name: row.firstName ?? undefined,
              last_name: row.lastName ?? undefined,
              email: row.email ?? undefined,
              account_owner: row.accountOwner ?? undefined,
              locale: row.locale ?? undefined,
              collaborator: row.collaborator ?? undefined,
              email_verified: row.emailVerified ?? undefined,
            },
          }
        : undefined,
  });
}
