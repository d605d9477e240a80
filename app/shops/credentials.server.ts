import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { LockstepError } from "../config/errors";

// Platform credentials at rest: AES-256-GCM with a key derived from LOCKSTEP_ENCRYPTION_KEY.
// "v1:" + base64(iv | tag | ciphertext); the tag makes any tampering fail loudly.
const VERSION = "v1:";

function keyFrom(secret: string): Buffer {
  return createHash("sha256").update(`lockstep-credentials\n${secret}`).digest();
}

/** Whether a stored value is sealed already (plaintext tokens of the platforms never start so). */
export function isSealedCredential(stored: string): boolean {
  return stored.startsWith(VERSION);
}

export function sealCredential(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFrom(secret), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64");
}

export function openCredential(secret: string, sealed: string): string {
  if (!sealed.startsWith(VERSION)) throw new LockstepError("credential_unreadable", "The stored credential has an unknown format");
  const raw = Buffer.from(sealed.slice(VERSION.length), "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFrom(secret), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new LockstepError("credential_unreadable", "The stored credential cannot be opened: was LOCKSTEP_ENCRYPTION_KEY changed?");
  }
}
