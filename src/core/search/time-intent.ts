/**
 * What a query says about time, and whether a memory states a time. Two
 * signals for ranking: a question that asks *when* something happened is
 * answered by a memory that says when ("last Friday", "two weeks ago", "in
 * 2022"); a query that names a date ("on 3 June, 2023", "in May 2023") is
 * about memories written around that date. Pure; English only.
 */

/** A span of time, ISO-8601 UTC, `from` inclusive, `to` exclusive. */
export interface TimeWindow {
  from: string;
  to: string;
}

export interface TimeIntent {
  /** The query asks when, how long, or for a year/month/date/day. */
  asksWhen: boolean;
  /** The date or month the query names, widened by a day on each side; null if none. */
  window: TimeWindow | null;
}

const ASKS_WHEN = /^\s*when\b|\b(how long|what (year|month|date|day|time)|which (year|month|day))\b/i;

const TIME_WORDS =
  "yesterday|today|tonight|tomorrow|ago|last|next|recently|lately|earlier|soon|since|upcoming|" +
  "weekend|week|weeks|month|months|year|years|" +
  "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|wed|thurs|fri|sat|sun|" +
  "january|february|march|april|may|june|july|august|september|october|november|december";
const MENTIONS_TIME = new RegExp(`\\b(${TIME_WORDS}|(1[89]|20)\\d\\d)\\b`, "i");

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH =
  "(january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|september|sept|sep|" +
  "october|oct|november|nov|december|dec)\\.?";
const ORDINAL = "(?:st|nd|rd|th)?";
/** Between a month or day and the year: a comma and/or spaces ("May 2023", "8 May, 2023", "May 8,2023"). */
const BEFORE_YEAR = "(?:\\s*,\\s*|\\s+)";
const DAY_MONTH_YEAR = new RegExp(
  `\\b(\\d{1,2})${ORDINAL}\\s+(?:of\\s+)?${MONTH}${BEFORE_YEAR}(\\d{4})\\b`,
  "i",
);
const MONTH_DAY_YEAR = new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${ORDINAL}${BEFORE_YEAR}(\\d{4})\\b`, "i");
const MONTH_YEAR = new RegExp(`\\b${MONTH}${BEFORE_YEAR}(\\d{4})\\b`, "i");
const ISO_DATE = /\b(\d{4})-(\d{2})-(\d{2})\b/;
/** Every pattern above needs a four-digit year: without one, none is tried (or even compiled). */
const YEAR_DIGITS = /\d{4}/;

const DAY_MS = 86_400_000;
/** Memories written up to a day before or after the named date count as "on" it (time zones, late nights). */
const SLACK_MS = DAY_MS;

const monthIndex = (name: string | undefined) => MONTHS.indexOf((name ?? "").slice(0, 3).toLowerCase());

function window(startMs: number, endMs: number): TimeWindow | null {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) return null;
  const from = new Date(startMs - SLACK_MS);
  const to = new Date(endMs + SLACK_MS);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return null;
  return { from: from.toISOString(), to: to.toISOString() };
}

function day(year: number, month: number, date: number): TimeWindow | null {
  if (month < 0 || date < 1 || date > 31) return null;
  const start = Date.UTC(year, month, date);
  return window(start, start + DAY_MS);
}

/** The first date ("3 June, 2023", "June 3rd, 2023", "2023-06-03") or month ("May 2023") the text names. */
export function namedDate(text: string): TimeWindow | null {
  if (!YEAR_DIGITS.test(text)) return null;
  let m = DAY_MONTH_YEAR.exec(text);
  if (m) return day(Number(m[3]), monthIndex(m[2]), Number(m[1]));
  m = MONTH_DAY_YEAR.exec(text);
  if (m) return day(Number(m[3]), monthIndex(m[1]), Number(m[2]));
  m = ISO_DATE.exec(text);
  if (m) return day(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  m = MONTH_YEAR.exec(text);
  if (m) {
    const year = Number(m[2]);
    const month = monthIndex(m[1]);
    if (month < 0) return null;
    return window(Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1));
  }
  return null;
}

export function queryTimeIntent(query: string): TimeIntent {
  // Long pastes are not questions about dates; look at the start only (bounded regex work).
  const head = query.slice(0, 1000);
  return { asksWhen: ASKS_WHEN.test(head), window: namedDate(head) };
}

/** Whether a memory states a time: a relative expression, a weekday, a month or a year. */
export function mentionsTime(text: string): boolean {
  return MENTIONS_TIME.test(text.length > 4000 ? text.slice(0, 4000) : text);
}

/** Whether an ISO-8601 timestamp falls in the window. */
export function inWindow(createdAt: string, w: TimeWindow): boolean {
  return createdAt >= w.from && createdAt < w.to;
}
