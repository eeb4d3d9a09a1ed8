// examples/nextjs/lib/events.ts: the user's live events (streamEvents), read
// with fetch, since the browser's EventSource cannot send the bearer token.
// A stream that ends (its token expired, the instance restarted, the network
// went away) is opened again with Last-Event-ID, so nothing is missed. Each
// connection takes a token of its own: the stream outlives the one it began
// with, and ends by itself when that one expires.
import type { components } from "./api.d";
import { authClient } from "./auth-client";

export type SyncPage = components["schemas"]["SyncPage"];
export type Reminder = components["schemas"]["Reminder"];

export interface Listener {
  changed(page: SyncPage): void;
  reminder(reminder: Reminder): void;
  // The last event is too old to resume from: read everything again.
  resync(): void;
}

const RECONNECT_MS = 1000;

// One stream, until it ends; `at.last` is the id of the last event applied.
async function follow(
  url: string,
  at: { last: string | null },
  listener: Listener,
  signal: AbortSignal,
): Promise<void> {
  const { data, error } = await authClient.token();
  if (error || !data) throw new Error("Sign in first.");
  const headers: Record<string, string> = { Authorization: `Bearer ${data.token}` };
  if (at.last) headers["Last-Event-ID"] = at.last;
  const response = await fetch(url, { headers, signal });
  if (response.status === 410) {
    at.last = null; // too old: start over, in full
    listener.resync();
    return;
  }
  if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const fields: Record<string, string> = {};
      for (const line of buffer.slice(0, end).split("\n")) {
        const colon = line.indexOf(": ");
        if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
      }
      buffer = buffer.slice(end + 2);
      if (fields.event === "changed") {
        listener.changed(JSON.parse(fields.data) as SyncPage);
        at.last = fields.id;
      } else if (fields.event === "reminder") {
        listener.reminder(JSON.parse(fields.data) as Reminder);
      }
    }
  }
}

// Follows the user's events until `signal` aborts, reconnecting as needed.
// Offline, the stream is dropped (a dead network may leave it hanging) and
// opened again once the browser is back online.
export async function followEvents(
  apiUrl: string,
  userId: string,
  listener: Listener,
  signal: AbortSignal,
): Promise<void> {
  const url = `${apiUrl}/api/${userId}/events`;
  const at = { last: null as string | null };
  while (!signal.aborted) {
    if (!navigator.onLine) {
      await new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
    }
    const attempt = new AbortController();
    const drop = () => attempt.abort();
    signal.addEventListener("abort", drop);
    window.addEventListener("offline", drop);
    try {
      await follow(url, at, listener, attempt.signal);
    } catch {
      // Offline, or cut: try again shortly, from the last event applied.
    } finally {
      signal.removeEventListener("abort", drop);
      window.removeEventListener("offline", drop);
    }
    if (navigator.onLine) {
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }
}
