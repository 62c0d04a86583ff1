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

export function saveSession(session: Session, remember = remembered()): void {
  clearStored();
  (remember ? window.localStorage : window.sessionStorage).setItem(KEY, JSON.stringify(session));
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
