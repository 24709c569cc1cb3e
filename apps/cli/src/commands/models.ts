// `ola models inspect MODEL [--json]`: operators, parameter count and activation sites (topological order)
// of a registry model or an .onnx file.
import type { Command } from "commander";
import { countParameters, findActivationSites, loadModel, loadRegistry, operatorCounts, type LoadedModel } from "@ola/models";
import { printJson, printText, table } from "../output.js";

/** The JSON document of `ola models inspect --json` (issue 3). */
export interface InspectReport {
  operators: Record<string, number>;
  parameters: number;
  activationSites: { id: string; kind: string; shape: number[] }[];
}

export function inspectReport(model: LoadedModel): InspectReport {
  return {
    operators: operatorCounts(model.graph),
    parameters: countParameters(model.graph),
    activationSites: findActivationSites(model.graph).map((s) => ({ id: s.id, kind: s.kind, shape: s.shape })),
  };
}

const shapeText = (s: number[]) => `[${s.map((d) => (d < 0 ? "N" : d)).join(",")}]`;

export function register(program: Command): void {
  const models = program.command("models").description("inspect models (registry names from the data folder, or .onnx files)");
  models
    .command("list")
    .description("models and datasets of the data folder (MANIFEST.json) with reference top-1")
    .option("--json", "print one JSON document on stdout")
    .action((o: { json?: boolean }) => {
      const r = loadRegistry();
      const list = [...r.models.values()].map((m) => ({ name: m.name, file: m.file, opset: m.opset ?? null, reference: m.reference }));
      const datasets = [...r.datasets.values()].map((d) => ({ name: d.name, file: d.file, records: d.records, lossless: d.lossless }));
      if (o.json) {
        printJson({ dataDir: r.dataDir, models: list, datasets });
        return;
      }
      const pct = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(2)}%`);
      printText(
        [
          `data folder: ${r.dataDir}`,
          "",
          table([
            ["model", "file", "opset", "top-1 lossless 1000", "top-1 JPEG 10000"],
            ...list.map((m) => [m.name, m.file, m.opset ?? "-", pct(m.reference["cifar10-test-lossless"]), pct(m.reference["cifar10-test"])]),
          ]),
          "",
          table([["dataset", "file", "records", "pixels"], ...datasets.map((d) => [d.name, d.file, d.records, d.lossless ? "lossless" : "JPEG-decoded"])]),
        ].join("\n"),
      );
    });
  models
    .command("inspect")
    .description("operators, parameter count and activation sites of a model")
    .argument("<model>", "registry model name (resnet20, resnet32, resnet20-fused, convnext-cifar10, ...) or an .onnx file")
    .option("--json", "print one JSON document on stdout")
    .action(async (name: string, o: { json?: boolean }) => {
      const model = await loadModel(name);
      const report = inspectReport(model);
      if (o.json) {
        printJson(report);
        return;
      }
      const g = model.graph;
      const lines = [
        `model       ${model.name}`,
        `file        ${model.path}`,
        `sha256      ${model.sha256}`,
        `opset       ${g.opset} (IR ${g.irVersion})`,
        `inputs      ${g.inputs.map((i) => `${i.name} ${shapeText(i.shape)}`).join(", ")}`,
        `outputs     ${g.outputs.map((i) => `${i.name} ${shapeText(i.shape)}`).join(", ")}`,
        `parameters  ${report.parameters.toLocaleString("en-US")}`,
        `nodes       ${g.nodes.length}`,
        "",
        table([["operator", "count"], ...Object.entries(report.operators).map(([k, v]) => [k, v])]),
        "",
        `${report.activationSites.length} activation sites (topological order):`,
        table([["site", "kind", "input shape"], ...report.activationSites.map((s) => [s.id, s.kind, shapeText(s.shape)])]),
      ];
      printText(lines.join("\n"));
    });
}
