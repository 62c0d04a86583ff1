import { createHmac } from "node:crypto";
import { expect, it } from "vitest";
import { canonical, importSecret, nextCounter, sign } from "./signing";

it("signs the server's canonical form: id, counter, method, path, then the raw body", async () => {
  const body = new TextEncoder().encode('{"a":1}');
  const message = canonical("t-1", "42", "POST", "/terminal/v1/taps", body);
  expect(new TextDecoder().decode(message)).toBe('t-1\n42\nPOST\n/terminal/v1/taps\n{"a":1}');
  const key = await importSecret("s3cret");
  const expected = createHmac("sha256", "s3cret").update(message).digest("hex");
  expect(await sign(key, message)).toBe(expected);
});

it("keeps the counter strictly increasing even when the clock goes back", () => {
  const store = new Map<string, string>();
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as Storage;
  const a = Number(nextCounter("t", storage, 2_000));
  const b = Number(nextCounter("t", storage, 1_000));
  const c = Number(nextCounter("t", storage, 1_000));
  expect(a).toBe(2_000_000);
  expect(b).toBe(a + 1);
  expect(c).toBe(b + 1);
});
