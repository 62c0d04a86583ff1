// Swagger UI's files from the npm package into the build, so /docs needs no CDN.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const swagger = dirname(require.resolve("swagger-ui-dist/package.json"));
const out = join(import.meta.dirname, "..", "dist", "swagger");
mkdirSync(out, { recursive: true });
for (const file of ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"]) {
  cpSync(join(swagger, file), join(out, file));
}
writeFileSync(
  join(out, "init.js"),
  `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });\n`,
);
writeFileSync(
  join(out, "index.html"),
  `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Инфошкола — API терминалов</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/swagger/swagger-ui.css"><link rel="icon" href="/swagger/favicon-32x32.png">
</head><body><main id="swagger-ui"></main>
<script src="/swagger/swagger-ui-bundle.js"></script><script src="/swagger/init.js"></script>
</body></html>
`,
);
