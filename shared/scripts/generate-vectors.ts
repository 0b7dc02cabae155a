// Writes shared/vectors/*.json from the TypeScript implementation.
// Usage: node shared/scripts/generate-vectors.ts
import { writeFile } from "node:fs/promises";
import { buildVectors, toVectorJson } from "../vectors/cases.ts";

for (const [file, vectors] of Object.entries(buildVectors())) {
  const url = new URL(`../vectors/${file}`, import.meta.url);
  await writeFile(url, toVectorJson(vectors));
  console.log(`wrote shared/vectors/${file}`);
}
