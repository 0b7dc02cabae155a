// The client a relayer, the CLI and the tests share. The program in LiteSVM
// (litesvm.ts, for this package's tests and scripts) is imported from its
// file instead: a relayer that loaded it would carry the VM's native module
// and bindings, about 4 MiB of resident memory (DESIGN.md: under 250 MiB).
export * from "./close-packet.ts";
export * from "./ed25519.ts";
export * from "./errors.ts";
export * from "./idl.ts";
export * from "./instructions.ts";
export * from "./outbound.ts";
export * from "./padding.ts";
export * from "./pda.ts";
export * from "./pool.ts";
export * from "./program.ts";
export * from "./spl.ts";
export * from "./vault.ts";
export * from "./deliver.ts";
export * from "./delivered.ts";
export * from "./deploy.ts";
export * from "./rpc.ts";
export * from "./actions.ts";
export * from "./lookup-table.ts";
export * from "./transaction.ts";
