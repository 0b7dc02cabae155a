// Instruction builders: data from the IDL's Borsh coder (idl.ts), accounts
// in the order each processor documents (src/processor/*.rs), PDAs derived
// here (pda.ts).
import { decodePacket, toBytes } from "@loanbridge/shared";
import {
  type AccountMeta,
  AccountRole,
  type AccountSignerMeta,
  type Address,
  address,
  getAddressDecoder,
  type Instruction,
  type TransactionSigner,
} from "@solana/kit";
import { addressBytes, type Ed25519Attestation, ed25519Instruction } from "./ed25519.ts";
import { encodeInstruction, pubkey } from "./idl.ts";
import { pda } from "./pda.ts";

export const SYSTEM_PROGRAM_ADDRESS = address("11111111111111111111111111111111");
export const TOKEN_PROGRAM_ADDRESS = address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
export const INSTRUCTIONS_SYSVAR_ADDRESS = address("Sysvar1nstructions1111111111111111111111111");

/** Instruction discriminators: the first byte of instruction data (also in the IDL). */
export const InstructionDiscriminator = {
  Version: 0,
  InitializeEndpoint: 1,
  SetVerifierSet: 2,
  SetPeer: 3,
  SetGuardian: 4,
  Pause: 5,
  Unpause: 6,
  TransferAdmin: 7,
  AcceptAdmin: 8,
  Deliver: 9,
  ClosePacket: 10,
} as const;

type Meta = AccountMeta | AccountSignerMeta;

export const readonly = (account: Address): AccountMeta => ({
  address: account,
  role: AccountRole.READONLY,
});
export const writable = (account: Address): AccountMeta => ({
  address: account,
  role: AccountRole.WRITABLE,
});
export const signer = (account: TransactionSigner): AccountSignerMeta => ({
  address: account.address,
  role: AccountRole.READONLY_SIGNER,
  signer: account,
});
export const payerMeta = (account: TransactionSigner): AccountSignerMeta => ({
  address: account.address,
  role: AccountRole.WRITABLE_SIGNER,
  signer: account,
});

function instruction(programAddress: Address, accounts: Meta[], data: Uint8Array): Instruction {
  return { programAddress, accounts, data };
}

/** `Version`: logs the program version and returns it as return data. */
export function versionInstruction(programAddress: Address): Instruction {
  return instruction(programAddress, [], encodeInstruction("version", {}));
}

export interface InitializeEndpointInput {
  payer: TransactionSigner;
  admin: TransactionSigner;
  localEid: number;
  guardian: Address;
  threshold: number;
  verifiers: Address[];
}

export async function initializeEndpointInstruction(
  program: Address,
  input: InitializeEndpointInput,
): Promise<Instruction> {
  return instruction(
    program,
    [
      payerMeta(input.payer),
      signer(input.admin),
      writable(await pda.endpoint(program)),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    encodeInstruction("initialize_endpoint", {
      local_eid: input.localEid,
      guardian: pubkey(input.guardian),
      threshold: input.threshold,
      verifiers: input.verifiers.map(pubkey),
    }),
  );
}

export async function setVerifierSetInstruction(
  program: Address,
  input: { admin: TransactionSigner; threshold: number; verifiers: Address[] },
): Promise<Instruction> {
  return instruction(
    program,
    [signer(input.admin), writable(await pda.endpoint(program))],
    encodeInstruction("set_verifier_set", {
      threshold: input.threshold,
      verifiers: input.verifiers.map(pubkey),
    }),
  );
}

export interface SetPeerInput {
  payer: TransactionSigner;
  admin: TransactionSigner;
  /** The local app: the vault or pool PDA. */
  app: Address;
  remoteEid: number;
  /** The remote app as `bytes32`. */
  remoteApp: Uint8Array;
}

export async function setPeerInstruction(
  program: Address,
  input: SetPeerInput,
): Promise<Instruction> {
  return instruction(
    program,
    [
      payerMeta(input.payer),
      signer(input.admin),
      readonly(await pda.endpoint(program)),
      writable(await pda.peer(program, input.app, input.remoteEid)),
      writable(await pda.nonce(program, input.app, input.remoteEid)),
      readonly(SYSTEM_PROGRAM_ADDRESS),
    ],
    encodeInstruction("set_peer", {
      app: pubkey(input.app),
      remote_eid: input.remoteEid,
      remote_app: Array.from(input.remoteApp),
    }),
  );
}

async function endpointAuthorityInstruction(
  program: Address,
  name: "set_guardian" | "pause" | "unpause" | "transfer_admin" | "accept_admin",
  authority: TransactionSigner,
  args: Record<string, unknown> = {},
): Promise<Instruction> {
  return instruction(
    program,
    [signer(authority), writable(await pda.endpoint(program))],
    encodeInstruction(name, args),
  );
}

export const setGuardianInstruction = (
  program: Address,
  admin: TransactionSigner,
  guardian: Address,
): Promise<Instruction> =>
  endpointAuthorityInstruction(program, "set_guardian", admin, { guardian: pubkey(guardian) });

export const pauseInstruction = (program: Address, authority: TransactionSigner) =>
  endpointAuthorityInstruction(program, "pause", authority);

export const unpauseInstruction = (program: Address, admin: TransactionSigner) =>
  endpointAuthorityInstruction(program, "unpause", admin);

export const transferAdminInstruction = (
  program: Address,
  admin: TransactionSigner,
  newAdmin: Address,
): Promise<Instruction> =>
  endpointAuthorityInstruction(program, "transfer_admin", admin, { new_admin: pubkey(newAdmin) });

export const acceptAdminInstruction = (program: Address, pendingAdmin: TransactionSigner) =>
  endpointAuthorityInstruction(program, "accept_admin", pendingAdmin);

export interface DeliverInput {
  payer: TransactionSigner;
  /** The encoded packet (shared/SPEC.md). */
  packet: Uint8Array;
  /** The receiving app's accounts, after the endpoint's six. */
  appAccounts?: Meta[];
  /** Override any of the endpoint's accounts (tests of forged accounts). */
  overrides?: Partial<Record<"endpoint" | "peer" | "delivered" | "instructionsSysvar", Address>>;
}

/** `Deliver` alone; put the Ed25519 instruction right before it (see `deliverInstructions`). */
export async function deliverInstruction(
  program: Address,
  input: DeliverInput,
): Promise<Instruction> {
  const overrides = input.overrides ?? {};
  // The packet is decoded (and so checked) only to derive the accounts not
  // given: a test can send a malformed packet with both given.
  const decoded = () => decodePacket(input.packet);
  const peer = async () => {
    const packet = decoded();
    return pda.peer(program, addressFromBytes32(toBytes(packet.receiver)), packet.srcEid);
  };
  return instruction(
    program,
    [
      payerMeta(input.payer),
      readonly(overrides.endpoint ?? (await pda.endpoint(program))),
      readonly(overrides.peer ?? (await peer())),
      writable(overrides.delivered ?? (await pda.deliveredNonces(program, decoded()))),
      readonly(overrides.instructionsSysvar ?? INSTRUCTIONS_SYSVAR_ADDRESS),
      readonly(SYSTEM_PROGRAM_ADDRESS),
      ...(input.appAccounts ?? []),
    ],
    encodeInstruction("deliver", { packet: Buffer.from(input.packet) }),
  );
}

/** The Ed25519 precompile instruction with `attestations` of `digest`, then `Deliver`. */
export async function deliverInstructions(
  program: Address,
  input: DeliverInput & { attestations: Ed25519Attestation[]; digest: Uint8Array },
): Promise<Instruction[]> {
  return [
    ed25519Instruction(input.attestations, input.digest),
    await deliverInstruction(program, input),
  ];
}

/** A `bytes32` read as a Solana address. */
export function addressFromBytes32(bytes: Uint8Array): Address {
  return getAddressDecoder().decode(bytes);
}

export { addressBytes };
