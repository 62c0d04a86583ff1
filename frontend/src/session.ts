// The login session: tokens in localStorage, or only for this tab ("не запоминать меня").

export interface Viewer {
  id: string;
  role: string;
  contracts: { contractNumber: string; access: string }[];
  schoolIds: string[];
  allSchools: boolean;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  viewer: Viewer;
  /** When to renew the access token, on this device's clock (ms since the epoch). */
  renewAt?: number;
  /** The server's clock less this device's (ms), as the token's `iat` showed it on receipt. */
  clockOffset?: number;
}

const RENEW_EARLY = 60_000;

/** The access token's `iat` and `exp` (seconds since the epoch), or null when unreadable. */
function tokenTimes(token: string): { iat: number; exp: number } | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)));
    const times = { iat: Number(claims.iat), exp: Number(claims.exp) };
    return Number.isFinite(times.iat) && Number.isFinite(times.exp) ? times : null;
  } catch {
    return null;
  }
}

/** Seconds the access token lives (its `exp` less its `iat`), or null when it cannot be read. */
export function tokenLifetime(token: string): number | null {
  const times = tokenTimes(token);
  const life = times ? times.exp - times.iat : NaN;
  return life > 0 ? life : null;
}

/** The server's clock less this device's (ms), from a token received at `receivedAt`: the
 * token's `iat` is the server's clock when it was issued (to within the request's round trip). */
export function clockOffset(token: string, receivedAt: number): number {
  const times = tokenTimes(token);
  return times ? times.iat * 1000 - receivedAt : 0;
}

/** Now on the server's clock, as far as this device can tell: to compare with the server's
 * instants (a pre-order's cut-off) when this device's clock is wrong. */
export function serverNow(now: number = Date.now()): number {
  return now + (loadSession()?.clockOffset ?? 0);
}

/**
 * When to renew a session received at `receivedAt` (this device's clock): its token's lifetime
 * counted from then, less a minute. The server's `expiresAt` is on the server's clock; a phone
 * whose clock is wrong by an hour would otherwise send expired tokens, or renew on every request.
 */
export function renewalTime(session: Session, receivedAt: number): number {
  const life = tokenLifetime(session.accessToken);
  if (life === null) return new Date(session.expiresAt).getTime() - RENEW_EARLY;
  return receivedAt + Math.max(life * 1000 - RENEW_EARLY, 0);
}

/** Whether the session's access token is to be renewed before it is used at `now`. */
export function renewalDue(session: Session, now: number): boolean {
  return now >= (session.renewAt ?? new Date(session.expiresAt).getTime() - RENEW_EARLY);
}

const KEY = "infoshkola.session";
let listeners: (() => void)[] = [];

function storages(): Storage[] {
  return [window.sessionStorage, window.localStorage];
}

export function loadSession(): Session | null {
  for (const s of storages()) {
    const raw = s.getItem(KEY);
    if (raw) {
      try {
        return JSON.parse(raw) as Session;
      } catch {
        s.removeItem(KEY);
      }
    }
  }
  return null;
}

/** Where the current session lives: a remembered one survives closing the browser. */
function remembered(): boolean {
  return window.localStorage.getItem(KEY) !== null;
}

/** Keep a session the server has just given (a login, a renewal). */
export function saveSession(session: Session, remember = remembered()): void {
  clearStored();
  const receivedAt = Date.now();
  const kept: Session = {
    ...session,
    renewAt: renewalTime(session, receivedAt),
    clockOffset: clockOffset(session.accessToken, receivedAt),
  };
  (remember ? window.localStorage : window.sessionStorage).setItem(KEY, JSON.stringify(kept));
  listeners.forEach((l) => l());
}

function clearStored(): void {
  storages().forEach((s) => s.removeItem(KEY));
}

export function clearSession(): void {
  clearStored();
  listeners.forEach((l) => l());
}

export function onSessionChange(listener: () => void): () => void {
  listeners.push(listener);
  return () => {
    listeners = listeners.filter((l) => l !== listener);
  };
}

export const STAFF_ROLES = ["CANTEEN_OPERATOR", "SCHOOL_ADMIN", "SUPPORT", "AUDITOR"];

/** Where a role starts after logging in. */
export function homeOf(viewer: Viewer): string {
  if (viewer.role === "CANTEEN_OPERATOR") return "/till";
  if (STAFF_ROLES.includes(viewer.role)) return "/admin";
  return "/cabinet";
}
