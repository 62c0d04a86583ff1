// The device's terminal key in IndexedDB (a CryptoKey is stored as is, still non-extractable).
import type { Device } from "./signing";

const DB = "infoshkola-terminal";
const STORE = "devices";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  return new Promise<T>((resolve, reject) => {
    const request = act(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = () => reject(request.error);
  }).finally(() => db.close());
}

export function loadDevice(role: "till" | "kiosk"): Promise<Device | undefined> {
  return run<Device | undefined>("readonly", (s) => s.get(role));
}

export function saveDevice(role: "till" | "kiosk", device: Device): Promise<void> {
  return run<void>("readwrite", (s) => s.put(device, role));
}

export function forgetDevice(role: "till" | "kiosk"): Promise<void> {
  return run<void>("readwrite", (s) => s.delete(role));
}
