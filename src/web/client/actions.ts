import { $, $$, send, toast } from "./dom.js";

async function undo(key: string, after: (id: string) => void): Promise<void> {
  const res = await send(`/undo/${encodeURIComponent(key)}`, { method: "POST" });
  const body = (await res.json()) as { restored?: string; error?: string };
  if (body.restored) after(body.restored);
  else toast(body.error ?? "Could not undo.");
}

/** Delete with undo: the memory is deleted at once and can be brought back for a few seconds. */
export function initDelete(): void {
  for (const form of $$<HTMLFormElement>("form[data-delete]")) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const res = await send(form.action, { method: "POST" });
      const body = (await res.json()) as { undo?: string; error?: string };
      if (!res.ok || !body.undo) {
        toast(body.error ?? "Delete failed.");
        return;
      }
      const main = $("#main");
      const heading = document.createElement("h1");
      heading.textContent = "Memory deleted";
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = "Its history is kept. ";
      const back = document.createElement("a");
      back.href = "/";
      back.textContent = "Back to search";
      p.append(back);
      main?.replaceChildren(heading, p);
      main?.focus();
      const key = body.undo;
      toast("Memory deleted.", {
        label: "Undo",
        run: () => void undo(key, (id) => window.location.assign(`/memory/${encodeURIComponent(id)}`)),
      });
    });
  }
  // A delete made without the script redirects here with its undo key.
  const key = new URLSearchParams(window.location.search).get("deleted");
  if (key) {
    history.replaceState(null, "", window.location.pathname);
    toast("Memory deleted.", {
      label: "Undo",
      run: () => void undo(key, (id) => window.location.assign(`/memory/${encodeURIComponent(id)}`)),
    });
  }
}

/** Dangerous forms stay disabled until the confirmation is typed. */
export function initConfirm(): void {
  for (const form of $$<HTMLFormElement>(".confirm-form")) {
    const button = $<HTMLButtonElement>('button[type="submit"]', form);
    const check = () => {
      let ok = true;
      for (const input of $$<HTMLInputElement>("input[data-expect], input[data-match]", form)) {
        const expected =
          input.dataset.expect ?? $<HTMLInputElement>(`[name="${input.dataset.match}"]`, form)?.value ?? "";
        if (input.value.trim() === "" || input.value.trim() !== expected.trim()) ok = false;
      }
      if (button) button.disabled = !ok;
    };
    form.addEventListener("input", check);
    check();
  }
}

/** Import with progress: the file is streamed to the server, which answers a JSON line per batch. */
export function initImport(): void {
  const form = $<HTMLFormElement>("#import-form");
  if (!form) return;
  const bar = $<HTMLProgressElement>("#import-progress", form);
  const status = $("#import-status", form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $<HTMLInputElement>('input[type="file"]', form)?.files?.[0];
    if (!file || !bar || !status) return;
    const text = await file.text();
    const total = Math.max(1, text.split("\n").filter((l) => l.trim() !== "" && l.trim() !== "]}").length);
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Importing…";
    const res = await send("/import", {
      method: "POST",
      body: file,
      headers: { "content-type": "application/octet-stream", "x-file-name": file.name },
    });
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      status.textContent = body.error ?? `Import failed (${res.status}).`;
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.trim()) continue;
        const p = JSON.parse(line) as {
          seen?: number;
          created?: number;
          skipped?: number;
          done?: boolean;
          error?: string;
        };
        if (p.error) {
          status.textContent = p.error;
          continue;
        }
        bar.value = Math.min(100, Math.round(((p.seen ?? 0) / total) * 100));
        status.textContent = p.done
          ? `Imported ${p.created} memories, ${p.skipped} already present.`
          : `Read ${p.seen} of about ${total}…`;
        if (p.done) bar.value = 100;
      }
    }
  });
}
