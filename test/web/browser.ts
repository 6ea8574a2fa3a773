import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * Debian's Chromium driven by playwright-core. Outside CI a machine without
 * it skips the browser tests (with the reason printed); in CI (`.ci/run`
 * installs it) a missing browser fails them.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === "true" || process.env.CI === "1";

/** Call at the top of a browser test file: says why it skips, or fails in CI. */
export function browserAvailable(file: string): boolean {
  if (haveChromium) return true;
  if (inCi)
    throw new Error(`${file}: Chromium is required in CI but ${CHROMIUM} is missing (.ci/run installs it)`);
  process.stderr.write(
    `skipping ${file}: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`,
  );
  return false;
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core in the page (evaluated through the DevTools protocol, so the
 * page's strict CSP stays on), WCAG 2.x A/AA rules plus best practices.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })`,
  )) as { violations: AxeViolation[] };
  return result.violations;
}

/** Readable summary of violations for an assertion message. */
export function describeViolations(v: AxeViolation[]): string {
  return v
    .map((x) => `${x.id} (${x.impact}): ${x.help} at ${x.nodes.map((n) => n.target.join(" ")).join(", ")}`)
    .join("\n");
}

/** Screenshots go to /tmp (never the repository), for a person to look at. */
export const SHOTS_DIR = process.env.WEB_SHOTS_DIR ?? "/tmp/mcp-mitm-mem0-web-shots";

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  await page.screenshot({ path: `${SHOTS_DIR}/${name}.png`, fullPage: true });
}

/** Collects CSP violations and page errors: the page must run under its own policy. */
export function watchProblems(context: BrowserContext): string[] {
  const problems: string[] = [];
  context.on("page", (p) => attach(p, problems));
  for (const p of context.pages()) attach(p, problems);
  return problems;
}

function attach(page: Page, problems: string[]): void {
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 40[0134]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
}
