/**
 * Test helper (used by the browser and e2e tests only): headless Chromium from the
 * system's package, driven by playwright-core, with a fresh profile; never downloads a
 * browser.
 */
import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { chromium, BrowserContext, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Set to keep a browser test's report and screenshots for a human to look at. */
export const KEEP_ENV = "REPORT_KEEP_SCREENSHOTS";

/** A fresh folder for a browser test's report, screenshots and profiles. */
export async function artefactDir(label: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `cil-${label}-`));
}

/** Removes the test's folder, or, with REPORT_KEEP_SCREENSHOTS set, keeps it (less the profiles) and says where. */
export async function finishArtefacts(dir: string): Promise<void> {
  if (process.env[KEEP_ENV] === undefined) {
    await fsp.rm(dir, { recursive: true, force: true });
    return;
  }
  for (const e of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (e.startsWith("profile-") || e.endsWith(".state.json")) await fsp.rm(path.join(dir, e), { recursive: true, force: true });
  }
  // eslint-disable-next-line no-console
  console.log(`report and screenshots kept in ${dir}`);
}

/** A browser with a fresh profile in `dir`; never downloads one. */
export async function openBrowser(dir: string, colorScheme: "light" | "dark" = "light"): Promise<BrowserContext> {
  const profile = await fsp.mkdtemp(path.join(dir, "profile-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1000 },
    colorScheme,
    offline: true,
  });
}

/** Opens `file`, failing on console errors and on any request that is not the page itself. */
export async function openReport(ctx: BrowserContext, file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await ctx.newPage();
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (r.url() !== url) problems.push(`request: ${r.url()}`);
  });
  await page.goto(url);
  return { page, problems };
}

