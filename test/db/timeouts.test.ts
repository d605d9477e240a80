import http from "node:http";
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../app/db/database.server";
import { sendError } from "../../app/http/respond.server";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const db of opened.reverse()) await db.close();
});

function never(): Promise<never> {
  return new Promise(() => undefined);
}

async function testDatabase(options: Parameters<typeof createTestDatabase>[0]): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false, ...options });
  opened.push(db);
  await db.sql.exec(`CREATE TABLE stock_row (id int PRIMARY KEY, quantity int NOT NULL); INSERT INTO stock_row VALUES (1, 5)`);
  return db;
}

describe("a transaction whose caller stops issuing statements (both databases)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase({ timeouts: { idleInTransactionMs: 300 } });
  });
  beforeEach(async () => {
    await db.sql.query(`UPDATE stock_row SET quantity = 5`);
  });

  it("is rolled back after the idle-in-transaction timeout, and the database serves the next caller", async () => {
    const stuck = db.sql.transaction(async (tx) => {
      await tx.query(`UPDATE stock_row SET quantity = 0 WHERE id = 1`);
      return never();
    });
    await expect(stuck).rejects.toMatchObject({ code: "database_timeout", status: 503 });
    // Rolled back, and the row's lock (PGlite: the one connection) is free again.
    await db.sql.query(`UPDATE stock_row SET quantity = quantity + 1 WHERE id = 1`);
    expect(await db.sql.query(`SELECT quantity FROM stock_row`)).toEqual([{ quantity: 6 }]);
  });

  it("refuses statements the abandoned work issues after the timeout", async () => {
    let resume!: () => void;
    let late: Promise<unknown> | undefined;
    const stuck = db.sql.transaction(async (tx) => {
      await new Promise<void>((resolve) => (resume = resolve));
      late = tx.query(`UPDATE stock_row SET quantity = 99 WHERE id = 1`);
      await late;
    });
    await expect(stuck).rejects.toMatchObject({ code: "database_timeout" });
    resume();
    await expect(waitFor(() => late)).rejects.toMatchObject({ code: "transaction_closed" });
    expect(await db.sql.query(`SELECT quantity FROM stock_row`)).toEqual([{ quantity: 5 }]);
  });
});

async function waitFor<T>(get: () => Promise<T> | undefined): Promise<T> {
  for (;;) {
    const value = get();
    if (value) return value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe("PostgreSQL timeouts", () => {
  it("gives up on a server that accepts the connection but never answers, as database_unavailable", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    const db = await openDatabase({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/lockstep`, timeouts: { connectMs: 300 } });
    try {
      await expect(db.sql.query("SELECT 1")).rejects.toMatchObject({ code: "database_unavailable", status: 503 });
      await expect(db.sql.transaction(async (tx) => tx.query("SELECT 1"))).rejects.toMatchObject({ code: "database_unavailable" });
    } finally {
      await db.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it("answers database_unavailable on a refused port", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const db = await openDatabase({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/lockstep`, timeouts: { connectMs: 300 } });
    try {
      await expect(db.sql.query("SELECT 1")).rejects.toMatchObject({ code: "database_unavailable" });
    } finally {
      await db.close();
    }
  });

  it("cancels a statement that runs past the statement timeout", async () => {
    const db = await testDatabase({ serverUrl: POSTGRES_URL, timeouts: { statementMs: 300 } });
    await expect(db.sql.query("SELECT pg_sleep(30)")).rejects.toMatchObject({ code: "database_timeout", status: 503 });
    expect(await db.sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("does not wait for a row lock forever", async () => {
    const db = await testDatabase({ serverUrl: POSTGRES_URL, timeouts: { statementMs: 300 } });
    const holder = new pg.Client({ connectionString: db.url! });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT * FROM stock_row WHERE id = 1 FOR UPDATE");
      await expect(db.sql.query("UPDATE stock_row SET quantity = 0 WHERE id = 1")).rejects.toMatchObject({ code: "database_timeout" });
      await expect(db.sql.transaction((tx) => tx.query("UPDATE stock_row SET quantity = 0 WHERE id = 1"))).rejects.toMatchObject({ code: "database_timeout" });
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
  });

  it("answers database_unavailable when every pooled connection stays busy past the connect timeout", async () => {
    const created = await testDatabase({ serverUrl: POSTGRES_URL });
    const db = await openDatabase({ databaseUrl: created.url!, poolSize: 1, timeouts: { connectMs: 300 } });
    opened.push(db);
    let finish!: () => void;
    const holding = db.sql.transaction(async (tx) => {
      await tx.query("SELECT 1");
      await new Promise<void>((resolve) => (finish = resolve));
    });
    await expect(db.sql.query("SELECT 1")).rejects.toMatchObject({ code: "database_unavailable", status: 503 });
    finish();
    await holding;
    expect(await db.sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });
});

describe("the answer to a request the database could not serve", () => {
  it("is a 503 with database_unavailable, also for the driver's own error that Prisma passes through", async () => {
    const server = http.createServer((_req, res) => sendError(res, new Error("Connection terminated due to connection timeout")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: "database_unavailable" } });
    } finally {
      server.close();
    }
  });
});
