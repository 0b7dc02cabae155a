// A raw SPL Token Transfer (discriminator 3, u64 amount): the tests use it to
// move tokens outside the program, e.g. a donation to the pool.
import { type Address, type Instruction, type TransactionSigner } from "@solana/kit";
import { signer, TOKEN_PROGRAM_ADDRESS, writable } from "../client/index.ts";

export function tokenTransferInstruction(
  from: Address,
  to: Address,
  owner: TransactionSigner,
  amount: bigint,
): Instruction {
  const data = new Uint8Array(9);
  data[0] = 3;
  new DataView(data.buffer).setBigUint64(1, amount, true);
  return {
    programAddress: TOKEN_PROGRAM_ADDRESS,
    accounts: [writable(from), writable(to), signer(owner)],
    data,
  };
}
