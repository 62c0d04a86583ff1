// The browser's side of Web Push: subscribe this browser with the installation's VAPID key
// (from the `webPush` query) and hand the subscription to the server, or drop it.

/** base64url → bytes, as `applicationServerKey` wants them. */
export function keyBytes(base64url: string): Uint8Array {
  const text = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export function pushSupported(): boolean {
  return typeof window !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** `promise`, or a rejection after `ms` (a browser without a reachable push service may never answer). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
}

export type BrowserSubscription = { endpoint: string; p256dh: string; auth: string };

/** Ask for permission and subscribe; the subscription's JSON, or an error in Russian. */
export async function subscribeBrowser(publicKey: string): Promise<BrowserSubscription | string> {
  if (!pushSupported()) return "Этот браузер не поддерживает push-уведомления";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "Уведомления запрещены в настройках браузера";
  try {
    const registration = await within(10_000, navigator.serviceWorker.ready);
    const existing = await registration.pushManager.getSubscription();
    const sub = existing ?? (await within(20_000, registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) as BufferSource })));
    const json = sub.toJSON();
    if (!json.endpoint || !json.keys?.p256dh || !json.keys?.auth) return "Браузер не выдал ключи подписки";
    return { endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth };
  } catch {
    return "Не удалось подписаться: служба push-уведомлений браузера недоступна";
  }
}

/** This browser's endpoint, if it is subscribed. */
export async function currentEndpoint(): Promise<string | null> {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration();
  const sub = await registration?.pushManager.getSubscription();
  return sub?.endpoint ?? null;
}

export async function unsubscribeBrowser(): Promise<void> {
  const registration = await navigator.serviceWorker?.getRegistration();
  const sub = await registration?.pushManager.getSubscription();
  await sub?.unsubscribe();
}
