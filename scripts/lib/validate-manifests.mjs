// Validates Kubernetes manifests against the API's OpenAPI schemas (the kubernetes-models package carries
// them, with ajv). Usage: node validate-manifests.mjs FILE.yaml...   Exit 1 on the first invalid document.
// Kinds it has no schema for (KServe, Kustomization) are listed as skipped; tests check their structure.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const schemas = {
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "v1/Service": "kubernetes-models/v1/Service",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
};

let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) {
      console.log(`${file}: YAML error: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const body = doc.toJS();
    if (!body) continue;
    const id = `${body.apiVersion}/${body.kind}`;
    const module = schemas[id];
    if (!module) {
      console.log(`${file}: ${id} ${body.metadata?.name ?? ""}: skipped (no schema here)`);
      continue;
    }
    const { [body.kind]: Model } = await import(module);
    try {
      new Model(body).validate();
      console.log(`${file}: ${id} ${body.metadata.name}: valid`);
    } catch (e) {
      console.log(`${file}: ${id} ${body.metadata?.name}: INVALID: ${e.message}`);
      failed++;
    }
  }
}
process.exit(failed ? 1 : 0);
