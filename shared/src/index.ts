export * from "./chains.ts";
export * from "./errors.ts";
