// The parent cabinet's service worker: the app shell from the cache when the network is gone,
// never an API answer (balances and statements always come fresh or not at all).
const CACHE = "infoshkola-shell-v1";
const SHELL = ["/", "/cabinet", "/manifest.webmanifest", "/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (/^\/(graphql|terminal|staff|openapi\.json|health)/.test(url.pathname)) return;
  if (url.pathname.startsWith("/assets/")) {
    // Hashed file names: a cached copy is always the right one.
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request).then((res) => {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(event.request, copy));
      return res;
    })));
    return;
  }
  if (event.request.mode === "navigate") {
    event.respondWith(fetch(event.request).catch(() => caches.match("/cabinet").then((hit) => hit || caches.match("/"))));
  }
});

// Web Push (RFC 8030/8291/8292): the settings page subscribes this browser with the server's
// VAPID key (query `webPush`) and registers the subscription; the workers send each message
// the parent's notification settings let through, encrypted to this browser: show it. A resend
// carries the same tag, so a message is shown once.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "Инфошкола", {
      body: data.body || "",
      tag: data.tag || undefined,
      icon: "/icon-192.png",
      badge: "/icon-192.png",
      lang: "ru",
      data: { url: "/cabinet" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || "/cabinet";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((open) => {
      const tab = open.find((c) => new URL(c.url).pathname.startsWith("/cabinet"));
      return tab ? tab.focus() : self.clients.openWindow(target);
    }),
  );
});

// The browser replaced the subscription (keys rotated): the next visit to the settings page
// registers the new one; nothing to do here without a login.
