export * from "./chain.ts";
export * from "./http.ts";
export * from "./json.ts";
export * from "./methods.ts";
export * from "./rpc-error.ts";
export * from "./server.ts";
export * from "./transaction-error.ts";
export * from "./wire.ts";
