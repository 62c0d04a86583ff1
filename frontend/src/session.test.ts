import { afterEach, describe, expect, it, vi } from "vitest";
import {
  clockOffset,
  loadSession,
  renewalDue,
  renewalTime,
  saveSession,
  serverNow,
  tokenLifetime,
  type Session,
} from "./session";

function base64url(value: object): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function token(iat: number, exp: number): string {
  return `${base64url({ alg: "HS256" })}.${base64url({ sub: "p", sid: "s", iat, exp })}.signature`;
}

function session(accessToken: string, expiresAt: string): Session {
  const viewer = { id: "p", role: "PARENT", contracts: [], schoolIds: [], allSchools: false };
  return { accessToken, refreshToken: "s.r", expiresAt, viewer };
}

const FIFTEEN_MINUTES = 900;

describe("session renewal", () => {
  afterEach(() => {
    vi.useRealTimers();
    window.localStorage.clear();
  });

  it("reads the token's lifetime from its claims", () => {
    expect(tokenLifetime(token(1_900_000_000, 1_900_000_000 + FIFTEEN_MINUTES))).toBe(900);
    expect(tokenLifetime("not a token")).toBeNull();
    expect(tokenLifetime("a.%%%.c")).toBeNull();
    expect(tokenLifetime(token(100, 100))).toBeNull();
  });

  it("renews a minute before the token's lifetime has passed on this device, whatever the server's clock says", () => {
    const receivedAt = Date.UTC(2027, 2, 1, 12, 0);
    const life = token(1_000, 1_000 + FIFTEEN_MINUTES);
    const fourteenMinutes = 14 * 60_000;
    // The phone's clock an hour behind the server's, then an hour ahead of it.
    for (const expiresAt of ["2027-03-01T13:15:00Z", "2027-03-01T11:15:00Z"]) {
      expect(renewalTime(session(life, expiresAt), receivedAt)).toBe(receivedAt + fourteenMinutes);
    }
  });

  it("falls back to the server's expiry for a token it cannot read", () => {
    const expiresAt = "2027-03-01T12:15:00Z";
    expect(renewalTime(session("opaque", expiresAt), 0)).toBe(Date.parse(expiresAt) - 60_000);
  });

  it("keeps the renewal time with the saved session and is due from then on", () => {
    vi.useFakeTimers();
    const receivedAt = Date.UTC(2028, 1, 29, 6, 30);
    vi.setSystemTime(receivedAt);
    saveSession(session(token(5, 5 + FIFTEEN_MINUTES), "2031-01-01T00:00:00Z"), true);
    const kept = loadSession();
    expect(kept?.renewAt).toBe(receivedAt + 14 * 60_000);
    expect(renewalDue(kept!, receivedAt + 14 * 60_000 - 1)).toBe(false);
    expect(renewalDue(kept!, receivedAt + 14 * 60_000)).toBe(true);
  });

  it("renews a session saved before renewal times were kept by the server's expiry", () => {
    const old = session("opaque", "2027-03-01T12:15:00Z");
    expect(renewalDue(old, Date.parse("2027-03-01T12:13:59Z"))).toBe(false);
    expect(renewalDue(old, Date.parse("2027-03-01T12:14:00Z"))).toBe(true);
  });

  it("tells the server's clock from this device's by the token's issue time", () => {
    vi.useFakeTimers();
    const device = Date.UTC(2027, 9, 31, 1, 0); // the phone an hour behind the server
    vi.setSystemTime(device);
    const issued = device / 1000 + 3600;
    expect(clockOffset(token(issued, issued + FIFTEEN_MINUTES), device)).toBe(3_600_000);
    saveSession(session(token(issued, issued + FIFTEEN_MINUTES), "2027-10-31T02:15:00Z"), true);
    expect(serverNow(device + 5_000)).toBe(device + 3_600_000 + 5_000);
    window.localStorage.clear();
    expect(serverNow(device)).toBe(device); // no session: this device's clock
  });
});
