import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Provider } from "urql";
import { App } from "./App";
import { client } from "./client";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Provider value={client}>
      <App />
    </Provider>
  </StrictMode>,
);

// The parent cabinet is installable: the service worker keeps the shell for offline starts.
if ("serviceWorker" in navigator && !window.location.pathname.startsWith("/till")) {
  navigator.serviceWorker.register("/sw.js").catch(() => undefined);
}
