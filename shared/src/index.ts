export * from "./chains.ts";
export * from "./errors.ts";
export * from "./wire/index.ts";
export * from "./loans/index.ts";
