import { defineProject } from "vitest/config";
import { workspaceAlias } from "../../vitest.shared.ts";

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: { name: "ckks-runtime", include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
});
