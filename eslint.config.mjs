import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// The layers of docs/architecture.md, enforced: nothing below app/ imports from app/, and the
// domain (everything in lib/ but the adapters api/, auth/, actions/ and the server) imports
// neither the adapters nor Next or React.
const upIntoApp = { group: ["@/app/*", "**/app/*"], message: "Nothing below app/ imports from app/: move what both need into lib/." };
const adapters = ["api", "auth", "actions", "server"];
const domainFolders = [
  "access",
  "async",
  "audit",
  "crypto",
  "db",
  "errors",
  "keys",
  "locale",
  "net",
  "observability",
  "pagination",
  "process",
  "quota",
  "ratelimit",
  "scopes",
  "usage",
  "users",
  "webhooks",
];

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", ".data/**", ".cache/**", "lib/db/generated/**", "next-env.d.ts", "test-results/**", "playwright-report/**"],
  },
  {
    files: ["lib/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    rules: { "no-restricted-imports": ["error", { patterns: [upIntoApp] }] },
  },
  {
    files: [...domainFolders.map((folder) => `lib/${folder}/**/*.ts`), "lib/env.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            upIntoApp,
            {
              group: adapters.flatMap((folder) => [`../${folder}/*`, `../../${folder}/*`, `@/lib/${folder}/*`]),
              message: "Domain code does not import the adapters (lib/api, lib/auth, lib/actions, lib/server): see docs/architecture.md.",
            },
            { group: ["next", "next/*", "next-auth", "next-auth/*", "react", "react-dom"], message: "Domain code is framework-free." },
          ],
        },
      ],
    },
  },
];

export default config;
