import { createHash, randomBytes } from "node:crypto";
import path from "node:path/posix";
import { type Writable } from "node:stream";
import type SftpClient from "ssh2-sftp-client";
import { type WrittenFile } from "../../batching/files/columns";
import { LockstepError } from "../../config/errors";

/**
 * Temporary names start with a dot and end in `.part`: receivers that pick up `*.csv` never see
 * them, and a file under its final name is always whole.
 */
export function isTemporaryName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".part");
}

/**
 * Puts one file on the server so that it appears whole or not at all: written to a temporary
 * name, read back and hashed (size and SHA-256 must match what was sent), then renamed to its
 * final name in one step (`posix-rename@openssh.com`, atomic and replacing). Any failure removes
 * the temporary file; the final name is never touched before the rename.
 */
export async function uploadAtomically(
  client: SftpClient,
  directory: string,
  name: string,
  write: (sink: Writable) => Promise<WrittenFile>,
  random: () => string = () => randomBytes(6).toString("hex"),
): Promise<WrittenFile> {
  const finalPath = path.join(directory, name);
  const temporaryPath = path.join(directory, `.${name}.${random()}.part`);
  const sink = client.createWriteStream(temporaryPath, { flags: "w" }) as unknown as Writable;
  // The SFTP write stream does not notice a dropped connection: without this it waits for a drain forever.
  const lost = () => sink.destroy(new LockstepError("sftp_connection_lost", `the connection dropped while writing ${name}`));
  client.on("close", lost);
  try {
    const written = await write(sink);
    const onServer = await hashRemote(client, temporaryPath);
    if (onServer.bytes !== written.bytes || onServer.sha256 !== written.sha256) {
      throw new LockstepError(
        "checksum_mismatch",
        `${name} on the server has ${onServer.bytes} bytes (SHA-256 ${onServer.sha256}), ${written.bytes} bytes (SHA-256 ${written.sha256}) were sent`,
      );
    }
    await client.posixRename(temporaryPath, finalPath);
    return written;
  } catch (error) {
    await client.delete(temporaryPath, true).catch(() => undefined);
    throw error;
  } finally {
    client.removeListener("close", lost);
  }
}

/**
 * Reads a file on the server chunk by chunk, and returns only once the server closed its handle:
 * a session ended while the close is still pending fails that close outside any caller.
 */
export async function* readRemote(client: SftpClient, remotePath: string): AsyncGenerator<Buffer> {
  const stream = client.createReadStream(remotePath);
  const closed = new Promise<void>((resolve) => {
    stream.once("close", () => resolve());
    stream.once("error", () => resolve());
  });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } finally {
    stream.destroy();
    await closed;
  }
}

/** Size and SHA-256 of a file on the server, read back through the session. */
export async function hashRemote(client: SftpClient, remotePath: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of readRemote(client, remotePath)) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** Removes temporary files an interrupted upload (a killed process) left behind. */
export async function removeStaleTemporaryFiles(client: SftpClient, directory: string): Promise<string[]> {
  const stale = (await client.list(directory)).filter((entry) => entry.type === "-" && isTemporaryName(entry.name)).map((entry) => entry.name);
  for (const name of stale) await client.delete(path.join(directory, name), true);
  return stale;
}
