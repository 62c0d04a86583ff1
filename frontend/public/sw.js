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

// Web push: the page subscribes once the server offers a subscription endpoint (not yet).
self.addEventListener("push", (event) => {
  const data = event.data ? event.data.json() : {};
  event.waitUntil(self.registration.showNotification(data.title || "Инфошкола", { body: data.body || "", icon: "/icon.svg", lang: "ru" }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow("/cabinet"));
});
