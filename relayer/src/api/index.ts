export * from "./params.ts";
export * from "./server.ts";
