export * from "./errors.ts";
export * from "./instructions.ts";
export * from "./litesvm.ts";
export * from "./program.ts";
