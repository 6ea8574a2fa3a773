import type { JournalMeta } from "../../../src/capture/pipeline/outbox.js";

/** The journal's metadata of one plain JSON Messages API exchange that started at `at` (ms) and took 1 ms. */
export function sampleJournalMeta(at = Date.now()): JournalMeta {
  return {
    method: "POST",
    path: "/v1/messages",
    host: "api.anthropic.com",
    requestHeaders: { "content-type": "application/json" },
    status: 200,
    responseHeaders: { "content-type": "application/json" },
    responseComplete: true,
    requestTruncated: false,
    responseTruncated: false,
    startedAt: new Date(at).toISOString(),
    endedAt: new Date(at + 1).toISOString(),
    failure: null,
  };
}
