/** Small DOM helpers for the page's script. */

export const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T | null =>
  root.querySelector<T>(sel);

export const $$ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T[] => [
  ...root.querySelectorAll<T>(sel),
];

export function csrfToken(): string {
  return $<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

/** fetch() with the CSRF header and the marker that asks for JSON answers. */
export function send(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("x-csrf-token", csrfToken());
  headers.set("x-requested-with", "fetch");
  return fetch(url, { ...init, headers, credentials: "same-origin" });
}

/** Elements from server-rendered HTML (already escaped by the server). */
export function fromHtml(html: string): DocumentFragment {
  const t = document.createElement("template");
  t.innerHTML = html;
  return t.content;
}

/** A message at the bottom of the screen; with an action button when given. */
export function toast(message: string, action?: { label: string; run: () => void }, ms = 8000): void {
  const host = $("#toasts");
  if (!host) return;
  const el = document.createElement("div");
  el.className = "toast";
  const text = document.createElement("span");
  text.textContent = message;
  el.append(text);
  if (action) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = action.label;
    b.addEventListener("click", () => {
      el.remove();
      action.run();
    });
    el.append(b);
  }
  host.append(el);
  window.setTimeout(() => el.remove(), ms);
}
