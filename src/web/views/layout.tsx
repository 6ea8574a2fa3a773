import type { Child } from "hono/jsx";
import type { AssetUrls } from "../assets.js";

export type Section = "search" | "timeline" | "insights" | "privacy" | "memory";

export interface LayoutProps {
  title: string;
  section: Section;
  csrf: string;
  userId: string;
  backend: string;
  assets: AssetUrls;
  children?: Child;
}

const NAV: [Section, string, string][] = [
  ["search", "/", "Search"],
  ["timeline", "/timeline", "Timeline"],
  ["insights", "/insights", "Insights"],
  ["privacy", "/privacy", "Privacy"],
];

/** Counters shown in the live strip, in order; the proxy's names map to these labels. */
export const LIVE_COUNTERS: [string, string][] = [
  ["exchanges", "exchanges"],
  ["stored", "episodes stored"],
  ["skippedNoise", "skipped as noise"],
  ["captureFailures", "capture failures"],
  ["outbox", "outbox"],
];

export function Layout(p: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="csrf-token" content={p.csrf} />
        <title>{`${p.title} · memory`}</title>
        <link rel="stylesheet" href={p.assets.css} />
        <script type="module" src={p.assets.js} />
      </head>
      <body data-section={p.section}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <div class="brand">
            <span class="logo" aria-hidden="true">
              ◆
            </span>
            <span>memory</span>
            <span class="who" title={`store: ${p.backend}`}>
              {p.userId}
            </span>
          </div>
          <nav aria-label="Sections">
            <ul>
              {NAV.map(([s, path, label]) => (
                <li>
                  <a href={path} aria-current={p.section === s ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <section class="live" id="live" aria-label="Capture status">
            <span class="live-state" id="live-state" data-state="unknown">
              <span class="dot" aria-hidden="true" />
              <span id="live-text">proxy: …</span>
            </span>
            <dl class="counters">
              {LIVE_COUNTERS.map(([name, label]) => (
                <div>
                  <dt>{label}</dt>
                  <dd data-counter={name}>–</dd>
                </div>
              ))}
              <div>
                <dt>store</dt>
                <dd data-counter="store">{p.backend}</dd>
              </div>
            </dl>
          </section>
        </header>
        <main id="main" tabindex={-1}>
          {p.children}
        </main>
        <div class="toasts" id="toasts" role="status" aria-live="polite" />
      </body>
    </html>
  );
}
