// Shared vitest settings: tests import workspace packages from their TypeScript sources,
// so `pnpm test` does not depend on a previous build.
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
const pkgs = ["poly", "profile", "dp", "ckks-runtime", "models", "optimizer"];

export const workspaceAlias: Record<string, string> = Object.fromEntries(
  pkgs.map((p) => [`@ola/${p}`, `${root}packages/${p}/src/index.ts`]),
);
