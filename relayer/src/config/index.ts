export * from "./check.ts";
export * from "./errors.ts";
export * from "./keys.ts";
export * from "./load.ts";
export * from "./schema.ts";
export * from "./secret.ts";
