export * from "./errors.ts";
export * from "./migrations.ts";
export * from "./store.ts";
export * from "./types.ts";
export * from "./page.ts";
