export * from "./address.ts";
export * from "./bytes.ts";
export * from "./digest.ts";
export * from "./errors.ts";
export * from "./messages.ts";
export * from "./packet.ts";
