// One lint setup for all TypeScript: typescript-eslint's strict, type-aware
// rules (floating promises, unsafe any, ...); formatting is Prettier's job.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: [
      "**/node_modules/",
      "evm-contracts/artifacts/",
      "evm-contracts/cache/",
      "evm-contracts/types/",
      "solana-program/target/",
      "solana-program/build/",
      "relayer/explorer/dist/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Template literals with numbers and bigints are how we print figures.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
    },
  },
  { files: ["**/*.js"], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
