import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemoShop } from "../../app/demo/seed.server";
import { launchBrowser } from "../helpers/browser";
import { requireAdminBuild } from "../helpers/build";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";

let browser: Browser;

beforeAll(async () => {
  requireAdminBuild();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const server = useTestServer({
  beforeListen: async ({ db }) => {
    await seedDemoShop(db.prisma, { apiToken: "lst_test_token_0123456789abcdef" });
  },
});

describe("the standalone admin in a real browser", () => {
  it("logs in and shows the dashboard with the demo shop's stock", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${server().url}/app`);
    await page.waitForURL(/\/login/);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("That password is not right").waitFor();

    await page.getByLabel("Password").fill(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/app$/);
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    const table = page.getByRole("table").filter({ hasText: "TENT-UL-2P" });
    expect(await table.getByText("TENT-UL-2P").isVisible()).toBe(true);
    expect(await table.getByRole("columnheader", { name: "Main warehouse" }).isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: "Dashboard" }).first().isVisible()).toBe(true);
    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/admin-dashboard.png", fullPage: true });
    expect(errors).toEqual([]);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login/);
    await page.close();
  });
});
