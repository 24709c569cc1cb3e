import { defineProject } from "vitest/config";
import { workspaceAlias } from "../../vitest.shared.ts";

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: { name: "models", include: ["test/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 300_000 },
});
