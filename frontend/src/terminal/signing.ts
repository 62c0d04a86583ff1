// Signed terminal requests from a browser on the school's own device (the till or the kiosk).
//
// The terminal's secret is typed in once, when the device is set up, and imported at once as
// a non-extractable WebCrypto HMAC key kept in this device's IndexedDB: from then on no script,
// ours included, can read the secret back; it is never in the bundle, never in a URL and never
// sent by the server to any browser (the admin page shows it once, to be typed on the device).

export interface Device {
  terminalId: string;
  key: CryptoKey;
}

const encoder = new TextEncoder();

export function canonical(terminalId: string, counter: string, method: string, path: string, body: Uint8Array): Uint8Array {
  const head = encoder.encode(`${terminalId}\n${counter}\n${method}\n${path}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export async function importSecret(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

export async function sign(key: CryptoKey, message: Uint8Array): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message as BufferSource));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Strictly increasing per terminal, across reloads: microseconds, or one past the last. */
export function nextCounter(terminalId: string, storage: Storage = window.localStorage, now = Date.now()): string {
  const key = `infoshkola.counter.${terminalId}`;
  const last = Number(storage.getItem(key) ?? "0");
  const next = Math.max(now * 1000, last + 1);
  storage.setItem(key, String(next));
  return String(next);
}

export class TerminalError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

/** One signed request; a network failure throws TypeError (the caller goes offline). */
export async function signedFetch(device: Device, method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
  const raw = body === undefined ? new Uint8Array() : encoder.encode(JSON.stringify(body));
  const counter = nextCounter(device.terminalId);
  const signature = await sign(device.key, canonical(device.terminalId, counter, method, path, raw));
  const headers: Record<string, string> = {
    "X-Terminal-Id": device.terminalId,
    "X-Counter": counter,
    "X-Signature": signature,
  };
  if (method === "POST") headers["Content-Type"] = "application/json";
  return fetch(path, { method, headers, body: method === "POST" ? raw : undefined, cache: "no-store" });
}

export async function signedJson<T>(device: Device, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const response = await signedFetch(device, method, path, body);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    // RFC 9457 problem details: `code` and `detail` at the top (older answers nested them).
    const error = data?.error ?? {};
    const code = data?.code ?? error.code ?? "error";
    throw new TerminalError(response.status, code, data?.detail ?? error.message ?? response.statusText);
  }
  return data as T;
}
