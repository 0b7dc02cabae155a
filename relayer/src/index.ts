// @loanbridge/relayer: the daemon, the pipeline and the pieces they are built from.
export * from "./api/index.ts";
export * from "./chains/types.ts";
export * from "./config/index.ts";
export * from "./daemon/index.ts";
export * from "./observability/index.ts";
export * from "./pipeline/index.ts";
export * from "./store/index.ts";
