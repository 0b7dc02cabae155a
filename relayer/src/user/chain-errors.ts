// A chain's refusal in words: a Solana custom program error through the
// program's IDL (name and message), an EVM revert through the ABIs of every
// deployed contract (name and arguments, and Solidity's Error(string) and
// Panic(uint256)), and for the common ones what to do about it. The
// decoding is pure; reading the ABIs is the one I/O here.
import { readArtifact } from "@loanbridge/evm-contracts";
import { BaseError } from "@loanbridge/shared";
import { idl } from "@loanbridge/solana-program";
import { isSolanaError, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM } from "@solana/kit";
import { ErrorFragment, Interface, isHexString, type Result } from "ethers";
import type { ChainName } from "../api/views.ts";
import { causes } from "./rpc.ts";

/** A chain error by name, with what it means and what to do, when known. */
export interface DecodedChainError {
  /** `PoolLoanNotActive`, `PoolZeroRepayment(…)`, `Error("…")`, or `custom program error 0x1` for another program. */
  name: string;
  /** The IDL's message (Solana), or the arguments (EVM). */
  detail: string | null;
  /** What to do; null when the table has nothing for this error. */
  hint: string | null;
}

/** A transaction or call the chain refused, decoded. */
export class ChainCallError extends BaseError {
  override name = "ChainCallError";
  readonly chain: ChainName;
  readonly decoded: DecodedChainError;
  constructor(chain: ChainName, action: string, decoded: DecodedChainError) {
    super(chainCallMessage(chain, action, decoded), { details: "" });
    this.chain = chain;
    this.decoded = decoded;
  }
}

export function chainCallMessage(
  chain: ChainName,
  action: string,
  decoded: DecodedChainError,
): string {
  const detail = decoded.detail === null ? "" : `: ${decoded.detail}`;
  const hint = decoded.hint === null ? "" : `\nwhat to do: ${decoded.hint}`;
  return `${action} on ${chain} failed: ${decoded.name}${detail}${hint}`;
}

/**
 * What to do, by error name (the Solana program and the contracts share most
 * names). `<loan>` is replaced by the loan id when the command has one.
 */
export const HINTS: Readonly<Record<string, string>> = {
  PoolLoanNotActive:
    "the loan is not active on the pool (not opened there yet, or already repaid, defaulted, liquidated or rejected): check `loanbridge status <loan>`",
  PoolZeroRepayment: "give an amount above 0",
  PoolZeroAmount: "give an amount above 0 (and above what rounds to zero shares)",
  PoolLoanNotOverdue:
    "the loan is not past its due time plus the grace period yet: check dueAt with `loanbridge status <loan>`",
  PoolLoanHealthy:
    "the loan is within its liquidation threshold: only an under-collateralised loan can be liquidated",
  PoolCancelTooEarly: "the request has not expired yet: wait until its expiresAt",
  PoolLoanExists: "the pool already has this loan: check `loanbridge status <loan>`",
  PoolPriceUnavailable: "the collateral's price is missing or stale: retry once the feed updates",
  PoolCollateralNotConfigured: "the pool does not lend against this collateral",
  PoolInsufficientLiquidity:
    "withdraw less: the pool's free stablecoin or your shares do not cover it",
  PoolPaused: "the pool is paused: retry once its guardian unpauses it",
  EnforcedPause: "the pool is paused: retry once its guardian unpauses it",
  PoolRateAboveMax: "the pool's rate is above your --max-rate-bps: accept a higher rate",
  PoolBeneficiaryNotSet: "the pool has no beneficiary for this loan's chain: ask its operator",
  ERC20InsufficientBalance: "the account does not hold enough stablecoin for this amount",
  ERC20InsufficientAllowance: "the pool may not spend that much of your stablecoin: approve more",
  ERC4626ExceededMaxWithdraw:
    "withdraw less: your shares or the pool's free liquidity do not cover it",
  VaultUnexpectedLoanState:
    "the loan is not in the state this needs: check `loanbridge status <loan>`",
  VaultZeroCollateral: "give --collateral above 0",
  VaultZeroPrincipal: "give --principal above 0",
  VaultZeroInstallments: "give --installments of 1 or more",
  VaultZeroRecipient: "give a --recipient",
  VaultAssetNotAllowed: "the vault does not take this collateral asset",
  VaultValueMismatch: "the native value sent is not the collateral amount",
  VaultCollateralBelowRentMinimum:
    "lock more SOL: native collateral must cover the rent-exempt minimum of an account",
  VaultInvalidExpiry: "the request's deadline is outside what the vault accepts: retry",
  InvalidAccountOwner:
    "an account the instruction reads does not exist or is not the program's: check the loan id (`loanbridge status <loan>`) and the network file",
  InvalidTokenAccount:
    "a token account has the wrong mint or owner: check the network file's stablecoin",
  MissingSignature: "the keypair given does not own what this needs",
  Unauthorized: "only the admin may do this",
};

export function hintFor(name: string, loanId?: string): string | null {
  const hint = HINTS[name];
  if (hint === undefined) return null;
  return loanId === undefined ? hint : hint.replaceAll("<loan>", loanId);
}

// Solana --------------------------------------------------------------------

const IDL_ERRORS = new Map((idl.errors ?? []).map((error) => [error.code, error]));

/** The IDL's name and message for a custom program error code. */
export function decodeProgramError(
  code: number,
  loanId?: string,
): DecodedChainError & { known: boolean } {
  const entry = IDL_ERRORS.get(code);
  if (entry === undefined) {
    return {
      name: `custom program error ${hex(code)}`,
      detail: "not in the program's IDL (is the network file's programId this program?)",
      hint: null,
      known: false,
    };
  }
  return {
    name: entry.name,
    detail: `${entry.msg ?? "no message"} (program error ${code} = ${hex(code)})`,
    hint: hintFor(entry.name, loanId),
    known: true,
  };
}

const hex = (code: number) => `0x${code.toString(16)}`;

/**
 * The custom error code a failed Solana transaction carries, and the
 * program that returned it when the logs say: kit's structured
 * InstructionError::Custom, a preflight's "Program X failed: custom program
 * error: 0x…" log, or a confirmed status's `{"InstructionError":[i,{"Custom":n}]}`.
 */
export function customErrorOf(error: unknown): { code: number; program?: string } | undefined {
  const texts: string[] = [];
  let structured: number | undefined;
  for (const link of causes(error)) {
    if (isSolanaError(link, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) {
      structured ??= link.context.code;
    }
    if (typeof link === "string") texts.push(link);
    if (typeof link !== "object" || link === null) continue;
    const { message, details, context } = link as {
      message?: unknown;
      details?: unknown;
      context?: { logs?: unknown };
    };
    for (const text of [message, details]) if (typeof text === "string") texts.push(text);
    if (Array.isArray(context?.logs)) texts.push(...context.logs.map(String));
  }
  const all = texts.join("\n");
  const logged = /Program (\w+) failed: custom program error: 0x([0-9a-fA-F]+)/.exec(all);
  if (logged?.[1] !== undefined && logged[2] !== undefined) {
    return { code: Number.parseInt(logged[2], 16), program: logged[1] };
  }
  if (structured !== undefined) return { code: structured };
  const bare = /custom program error: 0x([0-9a-fA-F]+)/.exec(all);
  if (bare?.[1] !== undefined) return { code: Number.parseInt(bare[1], 16) };
  const status = /"Custom":\s*(\d+)/.exec(all);
  if (status?.[1] !== undefined) return { code: Number(status[1]) };
  return undefined;
}

/** A Solana failure decoded: through the IDL when the loanbridge program returned it. */
export function decodeSolanaFailure(
  error: unknown,
  programId: string,
  loanId?: string,
): DecodedChainError | undefined {
  const found = customErrorOf(error);
  if (found === undefined) return undefined;
  if (found.program !== undefined && found.program !== programId) {
    return {
      name: `custom program error ${hex(found.code)}`,
      detail: `from program ${found.program}, not loanbridge's`,
      hint: null,
    };
  }
  const { name, detail, hint } = decodeProgramError(found.code, loanId);
  return { name, detail, hint };
}

// EVM -----------------------------------------------------------------------

/** The contracts a deployment has (network file and deploy script), by artifact. */
export const DEPLOYED_CONTRACTS = [
  ["contracts/CollateralVault.sol", "CollateralVault"],
  ["contracts/LendingPool.sol", "LendingPool"],
  ["contracts/Endpoint.sol", "Endpoint"],
  ["contracts/dev/DevStablecoin.sol", "DevStablecoin"],
  ["contracts/price/AdminPriceFeed.sol", "AdminPriceFeed"],
] as const;

/** Solidity's own revert payloads, which no ABI lists. */
const BUILTIN_ERRORS = ["error Error(string message)", "error Panic(uint256 code)"];

/** One interface holding every custom error of the given ABIs (one fragment per selector). */
export function errorInterface(abis: readonly (readonly unknown[])[]): Interface {
  const bySelector = new Map<string, ErrorFragment>();
  for (const signature of BUILTIN_ERRORS) {
    const fragment = ErrorFragment.from(signature);
    bySelector.set(fragment.selector, fragment);
  }
  for (const abi of abis) {
    for (const fragment of new Interface(abi as never).fragments) {
      if (fragment instanceof ErrorFragment && !bySelector.has(fragment.selector)) {
        bySelector.set(fragment.selector, fragment);
      }
    }
  }
  return new Interface([...bySelector.values()]);
}

let deployedErrors: Promise<Interface> | undefined;

/** The custom errors of every deployed contract's ABI, read once (again after a failed read). */
export function deployedErrorInterface(): Promise<Interface> {
  deployedErrors ??= Promise.all(
    DEPLOYED_CONTRACTS.map(async ([source, name]) => (await readArtifact(source, name)).abi),
  )
    .then(errorInterface)
    .catch((error: unknown) => {
      deployedErrors = undefined;
      throw error;
    });
  return deployedErrors;
}

/** Panic codes (Solidity docs, "Panic via assert and Error via require"). */
const PANICS: Record<number, string> = {
  0x01: "assert failed",
  0x11: "arithmetic overflow or underflow",
  0x12: "division by zero",
  0x21: "invalid enum value",
  0x31: "pop on an empty array",
  0x32: "array index out of bounds",
  0x41: "out of memory",
  0x51: "call to an uninitialised function",
};

/** Revert data as the error's name and arguments; undefined for data no ABI here declares. */
export function decodeRevert(
  errors: Interface,
  data: string,
  loanId?: string,
): DecodedChainError | undefined {
  const parsed = errors.parseError(data);
  if (parsed === null) return undefined;
  const { name, inputs } = parsed.fragment;
  if (name === "Error") {
    return { name: `Error("${String(parsed.args[0])}")`, detail: null, hint: null };
  }
  if (name === "Panic") {
    const code = Number(parsed.args[0]);
    return {
      name: `Panic(0x${code.toString(16)})`,
      detail: PANICS[code] ?? "unknown panic code",
      hint: null,
    };
  }
  const args = inputs.map((input, i) => `${input.name || `arg${i}`}=${argText(parsed.args, i)}`);
  return {
    name: `${name}(${args.join(", ")})`,
    detail: null,
    hint: hintFor(name, loanId),
  };
}

function argText(args: Result, index: number): string {
  const value: unknown = args[index];
  return typeof value === "bigint" || typeof value === "string" || typeof value === "boolean"
    ? String(value)
    : JSON.stringify(value, (_key, item: unknown) =>
        typeof item === "bigint" ? item.toString() : item,
      );
}

/** The revert payload an ethers error carries (the call's, the estimate's, or the node's). */
export function revertDataOf(error: unknown): string | undefined {
  for (const link of causes(error)) {
    if (typeof link !== "object" || link === null) continue;
    const { data, info } = link as { data?: unknown; info?: { error?: { data?: unknown } } };
    for (const candidate of [data, info?.error?.data]) {
      if (typeof candidate === "string" && isHexString(candidate) && candidate.length >= 10) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** ethers' "could not decode result data" of an empty answer: the address holds no contract. */
export function isEmptyResult(error: unknown): boolean {
  return causes(error).some((link) => {
    const { code, value } = (link ?? {}) as { code?: unknown; value?: unknown };
    return code === "BAD_DATA" && value === "0x";
  });
}
