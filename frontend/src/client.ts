import { createClient as createWs, type Client as WsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";
import { clearSession, loadSession, renewalDue, saveSession, type Session } from "./session";

const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshToken(input: { refreshToken: $refreshToken }) {
    session { accessToken refreshToken expiresAt
      viewer { id role contracts { contractNumber access } schoolIds allSchools } }
    userErrors { field code message }
  }
}`;

let refreshing: Promise<string | null> | null = null;

async function refresh(session: Session): Promise<string | null> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query: REFRESH, variables: { refreshToken: session.refreshToken } }),
  });
  const renewed = (await response.json())?.data?.refreshToken?.session;
  if (renewed) {
    saveSession(renewed as Session);
    return renewed.accessToken as string;
  }
  clearSession();
  return null;
}

/** A live access token: renewed (once for all callers) when its renewal time has come on this
 * device's clock (`renewalDue`). */
export async function accessToken(): Promise<string | null> {
  const session = loadSession();
  if (!session) return null;
  if (!renewalDue(session, Date.now())) return session.accessToken;
  refreshing ??= refresh(session).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

let ws: WsClient | null = null;

function wsClient(): WsClient {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  ws ??= createWs({
    url: `${scheme}://${window.location.host}/graphql`,
    connectionParams: async () => {
      const token = await accessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
  return ws;
}

/** Close the live connection (on logout: the next one authenticates anew). */
export function resetLive(): void {
  ws?.dispose();
  ws = null;
}

export const client = new Client({
  url: "/graphql",
  requestPolicy: "cache-and-network",
  preferGetMethod: false, // the API takes queries by POST only
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || "" };
        return {
          subscribe(sink) {
            const unsubscribe = wsClient().subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
  ],
  fetch: async (input, init) => {
    const token = await accessToken();
    const headers = new Headers(init?.headers);
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  },
});
