// Every error either chain can refuse with decodes to its name: each custom
// code of the Solana program's IDL, each custom error of every deployed
// contract's ABI, and Solidity's Error(string) and Panic(uint256); the
// common ones say what to do.
import { readArtifact } from "@loanbridge/evm-contracts";
import { idl, SolanaTransactionError } from "@loanbridge/solana-program";
import { SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, SolanaError } from "@solana/kit";
import { AbiCoder, ErrorFragment, Interface, makeError, ParamType } from "ethers";
import { describe, expect, it } from "vitest";
import {
  chainCallMessage,
  customErrorOf,
  DEPLOYED_CONTRACTS,
  decodeProgramError,
  decodeRevert,
  decodeSolanaFailure,
  deployedErrorInterface,
  errorInterface,
  HINTS,
  isEmptyResult,
  revertDataOf,
} from "./chain-errors.ts";

const PROGRAM = idl.address;
const LOAN = `0x${"ab".repeat(32)}`;

/** A value of each ABI type, for encoding a revert payload to decode. */
function sample(type: ParamType): unknown {
  if (type.isTuple()) return type.components.map(sample);
  if (type.isArray()) {
    // A fixed-size array needs its count of elements; a dynamic one may be empty.
    return type.arrayLength === -1
      ? []
      : Array.from({ length: type.arrayLength }, () => sample(type.arrayChildren));
  }
  if (type.baseType === "address") return "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  if (type.baseType === "bool") return true;
  if (type.baseType === "string") return "why";
  if (type.baseType.startsWith("bytes")) {
    const size = Number(type.baseType.slice(5));
    return size > 0 ? `0x${"11".repeat(size)}` : "0x1234";
  }
  return 7n;
}

describe("Solana program errors", () => {
  it("everyIdlCode_decodesToItsNameAndMessage", () => {
    const errors = idl.errors ?? [];
    expect(errors.length).toBeGreaterThan(60);
    for (const { code, name, msg } of errors) {
      const decoded = decodeProgramError(code);
      expect(decoded.known).toBe(true);
      expect(decoded.name).toBe(name);
      expect(decoded.detail).toContain(msg ?? "no message");
      expect(decoded.detail).toContain(`0x${code.toString(16)}`);
    }
  });

  it("aCodeTheIdlLacks_saysSoAndNamesTheCode", () => {
    const decoded = decodeProgramError(9_999);

    expect(decoded).toMatchObject({ known: false, name: "custom program error 0x270f" });
    expect(decoded.detail).toMatch(/not in the program's IDL/);
  });

  it("preflightLogs_PoolLoanNotActive_decodesWithWhatToDo", () => {
    const error = new SolanaTransactionError("transaction rejected in preflight", {
      refused: true,
      details: `Program ${PROGRAM} invoke [1] | Program ${PROGRAM} failed: custom program error: 0xc9`,
    });

    const decoded = decodeSolanaFailure(error, PROGRAM, LOAN);

    expect(decoded && chainCallMessage("solana", "repay", decoded)).toMatchInlineSnapshot(`
      "repay on solana failed: PoolLoanNotActive: Repaying, defaulting or liquidating a loan that is not active. (program error 201 = 0xc9)
      what to do: the loan is not active on the pool (not opened there yet, or already repaid, defaulted, liquidated or rejected): check \`loanbridge status 0xabababababababababababababababababababababababababababababababab\`"
    `);
  });

  it("aConfirmedStatusError_InstructionErrorCustom_decodes", () => {
    const error = new SolanaTransactionError("transaction 5x failed", {
      refused: true,
      details: '{"InstructionError":[0,{"Custom":202}]}',
    });

    expect(decodeSolanaFailure(error, PROGRAM)).toMatchObject({
      name: "PoolZeroRepayment",
      hint: "give an amount above 0",
    });
  });

  it("kitsStructuredCustomError_inTheCauseChain_decodes", () => {
    const custom = new SolanaError(SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, {
      code: 203,
      index: 0,
    });
    const error = new SolanaTransactionError("transaction rejected in preflight", {
      cause: new Error("simulation failed", { cause: custom }),
      refused: true,
      details: "no logs",
    });

    expect(customErrorOf(error)).toEqual({ code: 203 });
    expect(decodeSolanaFailure(error, PROGRAM)?.name).toBe("PoolLoanNotOverdue");
  });

  it("anotherProgramsCustomError_isNotNamedThroughOurIdl", () => {
    const token = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    const error = new SolanaTransactionError("transaction rejected in preflight", {
      refused: true,
      details: `Program ${token} failed: custom program error: 0x1`,
    });

    expect(decodeSolanaFailure(error, PROGRAM)).toEqual({
      name: "custom program error 0x1",
      detail: `from program ${token}, not loanbridge's`,
      hint: null,
    });
  });

  it("anErrorWithNoCustomCode_isNotDecoded", () => {
    expect(decodeSolanaFailure(new Error("blockhash not found"), PROGRAM)).toBeUndefined();
  });
});

describe("EVM reverts", () => {
  it("everyCustomErrorOfEveryDeployedContract_decodesToItsNameAndArguments", async () => {
    const errors = await deployedErrorInterface();
    let count = 0;
    for (const [source, name] of DEPLOYED_CONTRACTS) {
      const abi = new Interface((await readArtifact(source, name)).abi as never);
      for (const fragment of abi.fragments) {
        if (!(fragment instanceof ErrorFragment)) continue;
        const data = abi.encodeErrorResult(fragment, fragment.inputs.map(sample));

        const decoded = decodeRevert(errors, data);

        expect(decoded?.name, `${name}.${fragment.name}`).toMatch(
          new RegExp(`^${fragment.name}\\(`),
        );
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(90);
  });

  it("PoolLoanNotActive_decodesItsArgumentsAndSaysWhatToDo", async () => {
    const errors = await deployedErrorInterface();
    const data = errors.encodeErrorResult("PoolLoanNotActive", [LOAN, 0]);

    const decoded = decodeRevert(errors, data, LOAN);

    expect(decoded && chainCallMessage("evm", "repay", decoded)).toMatchInlineSnapshot(`
      "repay on evm failed: PoolLoanNotActive(loanId=0xabababababababababababababababababababababababababababababababab, status=0)
      what to do: the loan is not active on the pool (not opened there yet, or already repaid, defaulted, liquidated or rejected): check \`loanbridge status 0xabababababababababababababababababababababababababababababababab\`"
    `);
  });

  it("PoolZeroRepayment_theIssuesSelector_decodes", async () => {
    expect(decodeRevert(await deployedErrorInterface(), "0x6ed70e96")).toEqual({
      name: "PoolZeroRepayment()",
      detail: null,
      hint: "give an amount above 0",
    });
  });

  it("solidityErrorAndPanic_decode", () => {
    const errors = errorInterface([]);
    const coder = AbiCoder.defaultAbiCoder();
    const error = `0x08c379a0${coder.encode(["string"], ["not yours"]).slice(2)}`;
    const panic = `0x4e487b71${coder.encode(["uint256"], [0x11]).slice(2)}`;

    expect(decodeRevert(errors, error)?.name).toBe('Error("not yours")');
    expect(decodeRevert(errors, panic)).toMatchObject({
      name: "Panic(0x11)",
      detail: "arithmetic overflow or underflow",
    });
  });

  it("aSelectorNoAbiDeclares_isNotDecoded", async () => {
    expect(decodeRevert(await deployedErrorInterface(), "0xdeadbeef")).toBeUndefined();
  });

  it("revertData_isFoundWhereEthersPutsIt", () => {
    const direct = makeError("execution reverted", "CALL_EXCEPTION", {
      action: "estimateGas",
      data: "0x6ed70e96",
      reason: null,
      transaction: { to: null, data: "0x" },
      invocation: null,
      revert: null,
    });
    const nested = { info: { error: { code: 3, data: "0x6ed70e96" } } };

    expect(revertDataOf(direct)).toBe("0x6ed70e96");
    expect(revertDataOf(nested)).toBe("0x6ed70e96");
    expect(revertDataOf(new Error("nonce too low"))).toBeUndefined();
  });

  it("anEmptyResult_isRecognised", () => {
    const empty = makeError("could not decode result data", "BAD_DATA", { value: "0x" });
    const other = makeError("could not decode result data", "BAD_DATA", { value: "0x12" });

    expect(isEmptyResult(empty)).toBe(true);
    expect(isEmptyResult(other)).toBe(false);
  });
});

describe("hints", () => {
  it("everyHintNamesAnErrorOneOfTheChainsHas", async () => {
    const errors = await deployedErrorInterface();
    const idlNames = new Set((idl.errors ?? []).map((error) => error.name));
    for (const name of Object.keys(HINTS)) {
      expect(idlNames.has(name) || errors.getError(name) !== null, name).toBe(true);
    }
  });
});
