import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for every operation in src/, generated from the repository's exported schema.
const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: true,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        scalars: {
          Kopecks: "string",
          Position: "string",
          UUID: "string",
          Date: "string",
          DateTime: "string",
        },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
