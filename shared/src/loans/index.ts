export * from "./math.ts";
export * from "./schedule.ts";
