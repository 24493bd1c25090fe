import { mkdirSync } from "node:fs";
import path from "node:path";

import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Locator, type Page } from "@playwright/test";

// Every page at a desktop and a phone width: axe (WCAG 2 A and AA) finds no serious or critical
// violation, the page never scrolls sideways, and a full-page screenshot of each goes to
// test-results/screenshots/ for people to look at.

export const WIDTHS = [1280, 390] as const;
export const SCREENSHOTS = path.resolve(import.meta.dirname, "..", "..", "test-results", "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

export async function expectNoSeriousViolations(page: Page, name: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  const serious = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  const report = serious
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help}\n${violation.nodes.map((node) => `  ${node.target.join(" ")}: ${node.failureSummary ?? ""}`).join("\n")}`,
    )
    .join("\n");
  expect(
    serious.map((violation) => violation.id),
    `${name}:\n${report}`,
  ).toEqual([]);
}

/** Toasts come and go on their own: they would make a screenshot depend on timing. */
export async function dismissToasts(page: Page) {
  await page.evaluate(() => document.querySelectorAll("[data-sonner-toast]").forEach((toast) => toast.remove()));
}

/** A phone must never scroll the whole page sideways: only a table's own frame may. */
export async function expectNoSidewaysScroll(page: Page, name: string, width: number) {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  if (scrollWidth <= width) return;
  expect(scrollWidth, `${name} is wider than the ${width} px screen`).toBeLessThanOrEqual(width);
}

export const heading = (name: string | RegExp) => (page: Page) => page.getByRole("heading", { name, level: 1 });

/**
 * Opens the page at each width, waits until `ready` shows, then checks it with axe and saves a
 * screenshot. `prepare` runs after loading, for states such as an open dialog.
 */
export async function checkPage(page: Page, name: string, url: string, ready: (page: Page) => Locator, prepare?: (page: Page, width: number) => Promise<void>) {
  for (const width of WIDTHS) {
    await test.step(`${name} at ${width} px`, async () => {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.goto(url);
      await expect(ready(page)).toBeVisible();
      if (prepare) await prepare(page, width);
      await dismissToasts(page);
      await expectNoSeriousViolations(page, `${name} at ${width} px`);
      await expectNoSidewaysScroll(page, name, width);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    });
  }
}
