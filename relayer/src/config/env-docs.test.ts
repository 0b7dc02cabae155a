// The README's table of environment overrides is the operators' only list of
// them: it must name exactly the variables load.ts applies, each with its field.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENV_OVERRIDES } from "./load.ts";

const README = join(import.meta.dirname, "../../../README.md");
const SECTION = "### Environment overrides";

interface DocumentedOverride {
  env: string;
  field: string;
}

/** The rows of the README's override table: the variable and the field, unquoted. */
async function documentedOverrides(): Promise<DocumentedOverride[]> {
  const text = await readFile(README, "utf8");
  const start = text.indexOf(SECTION);
  expect(start, `README has a "${SECTION}" section`).toBeGreaterThan(-1);
  const section = text.slice(start + SECTION.length).split(/\n#{1,3} /)[0] ?? "";
  return section
    .split("\n")
    .map((line) => /^\|\s*`(LOANBRIDGE_[A-Z_]+)`\s*\|\s*`([^`]+)`/.exec(line))
    .filter((match) => match !== null)
    .map(([, env = "", field = ""]) => ({ env, field }));
}

describe("README environment overrides", () => {
  it("overrideTable_listsExactlyTheVariablesLoadTsApplies", async () => {
    const documented = await documentedOverrides();

    expect(documented.map((row) => row.env).sort()).toEqual(
      ENV_OVERRIDES.map((override) => override.env).sort(),
    );
  });

  it("overrideTable_namesTheFieldEachVariableSets", async () => {
    const documented = new Map((await documentedOverrides()).map((row) => [row.env, row.field]));

    for (const { env, path } of ENV_OVERRIDES) {
      const field = path.join(".");
      const named = documented.get(env) ?? "";
      // The store variables set the whole `store` object; the table names the field inside.
      expect(named === field || named.startsWith(`${field}.`), `${env}: ${named}`).toBe(true);
    }
  });
});
