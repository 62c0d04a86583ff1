import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import { createRoot } from "react-dom/client";

const scheme = window.location.protocol === "https:" ? "wss" : "ws";
const fetcher = createGraphiQLFetcher({
  url: "/graphql",
  subscriptionUrl: `${scheme}://${window.location.host}/graphql`,
});

createRoot(document.getElementById("graphiql")!).render(<GraphiQL fetcher={fetcher} defaultEditorToolsVisibility />);
