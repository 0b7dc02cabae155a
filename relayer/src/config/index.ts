export * from "./errors.ts";
export * from "./load.ts";
export * from "./schema.ts";
export * from "./secret.ts";
