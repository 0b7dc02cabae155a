// Solana JSON-RPC methods over the chain, with the standard names, params
// and response shapes. `svm_*` methods are this node's own dev cheats; no
// Solana validator has them.
import { type Address, getAddressDecoder, getBase58Decoder, getBase58Encoder } from "@solana/kit";
import {
  type AccountState,
  type Chain,
  type Commitment,
  feeForMessage,
  type LandedTransaction,
  type ReturnData,
} from "./chain.ts";
import type { JsonValue } from "./json.ts";
import {
  addressParam,
  arrayParam,
  commitmentOf,
  type Config,
  configParam,
  confirmedCommitmentOf,
  decodeBinary,
  optionalBoolean,
  optionalInteger,
  optionalString,
  type Params,
  stringParam,
  toAddress,
  u64Param,
} from "./params.ts";
import { invalidParams, RpcError, RpcErrorCode } from "./rpc-error.ts";
import { describeTransactionError, type TransactionError } from "./transaction-error.ts";
import { fromWireMessage, fromWireTransaction, type WireTransaction, WireError } from "./wire.ts";

export type Method = (params: Params) => JsonValue | Promise<JsonValue>;

export interface MethodContext {
  chain: Chain;
  /** Sends `lamports` from the node's faucet to `to`; returns the signature. */
  airdrop: (to: Address, lamports: bigint) => Promise<string>;
  /** The largest airdrop allowed, if any. */
  airdropCap: bigint | undefined;
}

/** The `solana-core` version this node reports (LiteSVM does not expose the Agave version it embeds). */
const SOLANA_CORE_VERSION = "3.0.0";
const RENT_EPOCH_EXEMPT = 18_446_744_073_709_551_615n;
const MAX_SIGNATURES_FOR_ADDRESS = 1000;
const MAX_SIGNATURE_STATUSES = 256;
const MAX_MULTIPLE_ACCOUNTS = 100;
const MAX_BASE58_ACCOUNT_BYTES = 128;
const TOKEN_PROGRAMS = new Set([
  "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
  "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
]);
const TOKEN_ACCOUNT_SIZE = 165;

export function createMethods({
  chain,
  airdrop,
  airdropCap,
}: MethodContext): Record<string, Method> {
  const withContext = (slot: bigint, value: JsonValue): JsonValue => ({
    context: { apiVersion: SOLANA_CORE_VERSION, slot },
    value,
  });

  /** The commitment's slot, after checking the caller's `minContextSlot`. */
  const contextSlot = (config: Config, commitment: Commitment): bigint => {
    const slot = chain.commitmentSlot(commitment);
    const min = optionalInteger(config, "minContextSlot");
    if (min !== undefined && slot < BigInt(min)) {
      throw new RpcError(
        RpcErrorCode.MinContextSlotNotReached,
        "Minimum context slot has not been reached",
        { contextSlot: slot },
      );
    }
    return slot;
  };

  const confirmationStatus = (slot: bigint): string =>
    slot <= chain.finalizedSlot() ? "finalized" : "confirmed";

  const readTransaction = (params: Params, index: number, config: Config): WireTransaction => {
    const encoding = optionalString(config, "encoding") ?? "base58";
    const bytes = decodeBinary(params[index], encoding, "transaction");
    try {
      return fromWireTransaction(bytes);
    } catch (error) {
      if (error instanceof WireError) throw invalidParams(`invalid transaction: ${error.message}`);
      throw error;
    }
  };

  const methods: Record<string, Method> = {
    getHealth: () => "ok",

    getVersion: () => ({ "solana-core": SOLANA_CORE_VERSION, "feature-set": 0 }),

    getGenesisHash: () => chain.genesisHash,

    getIdentity: () => ({ identity: chain.genesisHash }),

    getFirstAvailableBlock: () => 0n,

    getSlot: (params) => {
      const config = configParam(params, 0);
      return contextSlot(config, commitmentOf(config));
    },

    getBlockHeight: (params) => {
      const config = configParam(params, 0);
      return contextSlot(config, commitmentOf(config));
    },

    getTransactionCount: () => BigInt(chain.transactionCount()),

    getEpochInfo: (params) => {
      const config = configParam(params, 0);
      const slot = contextSlot(config, commitmentOf(config));
      const slotsInEpoch = chain.svm.getEpochSchedule().slotsPerEpoch;
      return {
        absoluteSlot: slot,
        blockHeight: slot,
        epoch: slot / slotsInEpoch,
        slotIndex: slot % slotsInEpoch,
        slotsInEpoch,
        transactionCount: BigInt(chain.transactionCount()),
      };
    },

    getLatestBlockhash: (params) => {
      const config = configParam(params, 0);
      const commitment = commitmentOf(config);
      const slot = contextSlot(config, commitment);
      return withContext(slot, chain.latestBlockhash(commitment));
    },

    isBlockhashValid: (params) => {
      const blockhash = stringParam(params, 0, "blockhash");
      const config = configParam(params, 1);
      const slot = contextSlot(config, commitmentOf(config));
      return withContext(slot, chain.isBlockhashValid(blockhash));
    },

    getBalance: (params) => {
      const address = addressParam(params, 0);
      const config = configParam(params, 1);
      const commitment = commitmentOf(config);
      const slot = contextSlot(config, commitment);
      return withContext(slot, chain.account(address, commitment)?.lamports ?? 0n);
    },

    getAccountInfo: (params) => {
      const address = addressParam(params, 0);
      const config = configParam(params, 1);
      const commitment = commitmentOf(config);
      const slot = contextSlot(config, commitment);
      return withContext(slot, accountJson(chain.account(address, commitment), config));
    },

    getMultipleAccounts: (params) => {
      const addresses = arrayParam(params, 0, "addresses", MAX_MULTIPLE_ACCOUNTS).map((value) =>
        toAddress(value, "address"),
      );
      const config = configParam(params, 1);
      const commitment = commitmentOf(config);
      const slot = contextSlot(config, commitment);
      return withContext(
        slot,
        addresses.map((address) => accountJson(chain.account(address, commitment), config)),
      );
    },

    getProgramAccounts: (params) => {
      const owner = addressParam(params, 0, "program id");
      const config = configParam(params, 1);
      const commitment = commitmentOf(config);
      const slot = contextSlot(config, commitment);
      const filters = filtersOf(config);
      const accounts = chain
        .programAccounts(owner, commitment)
        .filter(([, account]) => filters.every((filter) => filter(account.data)))
        .map(([pubkey, account]) => ({ pubkey, account: accountJson(account, config) }));
      return optionalBoolean(config, "withContext") ? withContext(slot, accounts) : accounts;
    },

    getMinimumBalanceForRentExemption: (params) =>
      chain.svm.minimumBalanceForRentExemption(u64Param(params, 0, "data length")),

    getTokenAccountBalance: (params) => {
      const address = addressParam(params, 0);
      const config = configParam(params, 1);
      const commitment = commitmentOf(config);
      const slot = contextSlot(config, commitment);
      const account = chain.account(address, commitment);
      if (
        !account ||
        !TOKEN_PROGRAMS.has(account.owner) ||
        account.data.length < TOKEN_ACCOUNT_SIZE
      ) {
        throw invalidParams("not a Token account");
      }
      const view = new DataView(account.data.buffer, account.data.byteOffset);
      const amount = view.getBigUint64(64, true);
      const mint = chain.account(
        getAddressDecoder().decode(account.data.subarray(0, 32)),
        commitment,
      );
      const decimals = mint?.data[44] ?? 0;
      const uiAmountString = formatUnits(amount, decimals);
      return withContext(slot, {
        amount: amount.toString(),
        decimals,
        uiAmount: Number(uiAmountString),
        uiAmountString,
      });
    },

    requestAirdrop: async (params) => {
      const address = addressParam(params, 0);
      const lamports = u64Param(params, 1, "lamports");
      if (airdropCap !== undefined && lamports > airdropCap) {
        throw invalidParams(
          `airdrop of ${lamports} lamports exceeds this node's cap of ${airdropCap}`,
        );
      }
      return airdrop(address, lamports);
    },

    getFeeForMessage: (params) => {
      const config = configParam(params, 1);
      const slot = contextSlot(config, commitmentOf(config));
      const bytes = decodeBinary(params[0], "base64", "message");
      let message;
      try {
        message = fromWireMessage(bytes);
      } catch (error) {
        if (error instanceof WireError) throw invalidParams(`invalid message: ${error.message}`);
        throw error;
      }
      return withContext(
        slot,
        chain.isBlockhashValid(message.recentBlockhash) ? feeForMessage(message) : null,
      );
    },

    getRecentPrioritizationFees: (params) => {
      // Agave takes at most 128 accounts, all optional.
      const accounts =
        params[0] === undefined
          ? []
          : arrayParam(params, 0, "accounts", 128).map((value) => toAddress(value, "account"));
      return chain
        .recentPrioritizationFees(accounts)
        .map(({ slot, fee }) => ({ slot, prioritizationFee: fee }));
    },

    sendTransaction: (params) => {
      const config = configParam(params, 1);
      const wire = readTransaction(params, 0, config);
      if (!optionalBoolean(config, "skipPreflight")) {
        commitmentOf(config, "preflightCommitment");
        const checked = chain.checkTransaction(wire);
        if (checked) throw preflightFailure(checked, [], 0n);
        const simulation = chain.simulate(wire, { sigVerify: true });
        if (simulation.err === "SignatureFailure") throw signatureFailure();
        if (simulation.err) {
          throw preflightFailure(simulation.err, simulation.logs, simulation.unitsConsumed);
        }
      }
      const execution = chain.execute(wire);
      // Other rejections (expired blockhash, duplicate, unfunded fee payer)
      // are dropped by a validator after the RPC has answered.
      if ("rejected" in execution && execution.rejected === "SignatureFailure") {
        throw signatureFailure();
      }
      return wire.signature;
    },

    simulateTransaction: (params) => {
      const config = configParam(params, 1);
      const sigVerify = optionalBoolean(config, "sigVerify") ?? false;
      const replace = optionalBoolean(config, "replaceRecentBlockhash") ?? false;
      if (sigVerify && replace) {
        throw invalidParams("sigVerify may not be used with replaceRecentBlockhash");
      }
      const commitment = commitmentOf(config);
      const slot = contextSlot(config, commitment);
      let wire = readTransaction(params, 0, config);
      let replacement: JsonValue | undefined;
      if (replace) {
        const latest = chain.latestBlockhash(commitment);
        wire = withBlockhash(wire, latest.blockhash);
        replacement = latest;
      }
      const checked = chain.checkTransaction(wire);
      const simulation = checked
        ? { err: checked, logs: [], unitsConsumed: 0n, returnData: null }
        : chain.simulate(wire, { sigVerify });
      return withContext(slot, {
        err: simulation.err,
        logs: simulation.logs,
        accounts: null,
        unitsConsumed: simulation.unitsConsumed,
        returnData: returnDataJson(simulation.returnData),
        innerInstructions: null,
        replacementBlockhash: replacement,
      });
    },

    getSignatureStatuses: (params) => {
      const signatures = arrayParam(params, 0, "signatures", MAX_SIGNATURE_STATUSES);
      configParam(params, 1);
      return withContext(
        chain.slot(),
        signatures.map((signature) => {
          if (typeof signature !== "string") throw invalidParams("signatures must be strings");
          const landed = chain.transaction(signature);
          if (!landed) return null;
          const finalized = landed.slot <= chain.finalizedSlot();
          return {
            slot: landed.slot,
            confirmations: finalized ? null : Number(chain.slot() - landed.slot),
            err: landed.err,
            status: statusJson(landed.err),
            confirmationStatus: confirmationStatus(landed.slot),
          };
        }),
      );
    },

    getSignaturesForAddress: (params) => {
      const address = addressParam(params, 0);
      const config = configParam(params, 1);
      const commitment = confirmedCommitmentOf(config);
      const atSlot = contextSlot(config, commitment);
      const limit = optionalInteger(config, "limit") ?? MAX_SIGNATURES_FOR_ADDRESS;
      if (limit < 1 || limit > MAX_SIGNATURES_FOR_ADDRESS) {
        throw invalidParams(`limit must be between 1 and ${MAX_SIGNATURES_FOR_ADDRESS}`);
      }
      const before = optionalString(config, "before");
      const until = optionalString(config, "until");
      const all = chain.transactionsFor(address);
      let end = all.length;
      if (before !== undefined) {
        const index = all.findIndex((landed) => landed.signature === before);
        end = index < 0 ? 0 : index;
      }
      const found: JsonValue[] = [];
      for (let index = end - 1; index >= 0 && found.length < limit; index -= 1) {
        const landed = all[index];
        if (!landed || landed.signature === until) break;
        if (landed.slot > atSlot) continue;
        found.push({
          signature: landed.signature,
          slot: landed.slot,
          err: landed.err,
          memo: null,
          blockTime: landed.blockTime,
          confirmationStatus: confirmationStatus(landed.slot),
        });
      }
      return found;
    },

    getTransaction: (params) => {
      const signature = stringParam(params, 0, "signature");
      const config: Config =
        typeof params[1] === "string" ? { encoding: params[1] } : configParam(params, 1);
      const commitment = confirmedCommitmentOf(config);
      const encoding = optionalString(config, "encoding") ?? "json";
      if (encoding !== "json" && encoding !== "base64" && encoding !== "base58") {
        throw invalidParams(
          `unsupported encoding: ${encoding}. Supported encodings: json, base58, base64`,
        );
      }
      const maxVersion = optionalInteger(config, "maxSupportedTransactionVersion");
      const landed = chain.transaction(signature);
      if (!landed || landed.slot > chain.commitmentSlot(commitment)) return null;
      const version = landed.wire.message.version;
      if (version === 0 && maxVersion === undefined) {
        throw new RpcError(
          RpcErrorCode.UnsupportedTransactionVersion,
          'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0',
        );
      }
      return {
        slot: landed.slot,
        blockTime: landed.blockTime,
        transaction: transactionJson(landed, encoding),
        meta: metaJson(landed),
        version: maxVersion === undefined ? undefined : version,
      };
    },

    /** Dev cheat: sets the clock's unix timestamp (seconds) from now on. */
    svm_setUnixTimestamp: (params) => {
      chain.setUnixTimestamp(u64Param(params, 0, "unix timestamp"));
      return chain.unixTimestamp();
    },

    /** Dev cheat: the node's slots and ledger size. */
    svm_status: () => ({
      slot: chain.slot(),
      finalizedSlot: chain.finalizedSlot(),
      transactionCount: BigInt(chain.transactionCount()),
      unixTimestamp: chain.unixTimestamp(),
    }),
  };
  return methods;
}

function preflightFailure(err: TransactionError, logs: string[], unitsConsumed: bigint): RpcError {
  return new RpcError(
    RpcErrorCode.SendTransactionPreflightFailure,
    `Transaction simulation failed: ${describeTransactionError(err)}`,
    { err, logs, accounts: null, unitsConsumed, returnData: null, innerInstructions: null },
  );
}

function signatureFailure(): RpcError {
  return new RpcError(
    RpcErrorCode.TransactionSignatureVerificationFailure,
    "Transaction signature verification failure",
  );
}

function statusJson(err: TransactionError | null): JsonValue {
  return err === null ? { Ok: null } : { Err: err };
}

function returnDataJson(returnData: ReturnData | null): JsonValue {
  if (!returnData) return null;
  return {
    programId: returnData.programId,
    data: [Buffer.from(returnData.data).toString("base64"), "base64"],
  };
}

/** The same transaction with another blockhash (its signatures no longer match). */
function withBlockhash(wire: WireTransaction, blockhash: string): WireTransaction {
  const bytes = Uint8Array.from(wire.bytes);
  const messageStart = wire.bytes.length - wire.messageBytes.length;
  bytes.set(getBase58Encoder().encode(blockhash), messageStart + wire.message.blockhashOffset);
  return fromWireTransaction(bytes);
}

function accountJson(account: AccountState | null, config: Config): JsonValue {
  if (!account) return null;
  const encoding = optionalString(config, "encoding") ?? "base58";
  let data = account.data;
  const slice = config.dataSlice;
  if (slice !== undefined && slice !== null) {
    if (typeof slice !== "object") throw invalidParams("dataSlice must be an object");
    const offset = optionalInteger(slice as Config, "offset") ?? 0;
    const length = optionalInteger(slice as Config, "length") ?? 0;
    data = data.subarray(offset, offset + length);
  }
  let encoded: JsonValue;
  if (encoding === "base64") {
    encoded = [Buffer.from(data).toString("base64"), "base64"];
  } else if (encoding === "base58") {
    if (data.length > MAX_BASE58_ACCOUNT_BYTES) {
      throw new RpcError(
        RpcErrorCode.InvalidRequest,
        "Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.",
      );
    }
    encoded = [getBase58Decoder().decode(data), "base58"];
  } else {
    throw invalidParams(`unsupported encoding: ${encoding}. Supported encodings: base58, base64`);
  }
  return {
    data: encoded,
    executable: account.executable,
    lamports: account.lamports,
    owner: account.owner,
    rentEpoch: RENT_EPOCH_EXEMPT,
    space: BigInt(account.data.length),
  };
}

/** `getProgramAccounts` filters: `dataSize` and `memcmp` (base58 or base64 bytes). */
function filtersOf(config: Config): ((data: Uint8Array) => boolean)[] {
  const filters = config.filters;
  if (filters === undefined || filters === null) return [];
  if (!Array.isArray(filters)) throw invalidParams("filters must be an array");
  return filters.map((filter: unknown) => {
    if (typeof filter !== "object" || filter === null)
      throw invalidParams("filter must be an object");
    const entry = filter as Config;
    if (entry.dataSize !== undefined) {
      const size = optionalInteger(entry, "dataSize");
      return (data: Uint8Array) => data.length === size;
    }
    if (typeof entry.memcmp === "object" && entry.memcmp !== null) {
      const memcmp = entry.memcmp as Config;
      const offset = optionalInteger(memcmp, "offset") ?? 0;
      const bytes = decodeBinary(
        memcmp.bytes,
        optionalString(memcmp, "encoding") ?? "base58",
        "memcmp bytes",
      );
      return (data: Uint8Array) =>
        offset + bytes.length <= data.length &&
        bytes.every((byte, index) => data[offset + index] === byte);
    }
    throw invalidParams("filters support dataSize and memcmp");
  });
}

function transactionJson(landed: LandedTransaction, encoding: string): JsonValue {
  if (encoding === "base64") return [Buffer.from(landed.wire.bytes).toString("base64"), "base64"];
  const base58 = getBase58Decoder();
  if (encoding === "base58") return [base58.decode(landed.wire.bytes), "base58"];
  const { message } = landed.wire;
  return {
    signatures: landed.wire.signatures.map((signature) => base58.decode(signature)),
    message: {
      accountKeys: message.staticKeys,
      header: { ...message.header },
      recentBlockhash: message.recentBlockhash,
      instructions: message.instructions.map((instruction) => ({
        programIdIndex: instruction.programIdIndex,
        accounts: instruction.accounts,
        data: base58.decode(instruction.data),
        stackHeight: null,
      })),
      addressTableLookups:
        message.version === 0
          ? message.lookups.map((lookup) => ({
              accountKey: lookup.accountKey,
              writableIndexes: lookup.writableIndexes,
              readonlyIndexes: lookup.readonlyIndexes,
            }))
          : undefined,
    },
  };
}

function metaJson(landed: LandedTransaction): JsonValue {
  return {
    err: landed.err,
    status: statusJson(landed.err),
    fee: landed.fee,
    preBalances: landed.preBalances,
    postBalances: landed.postBalances,
    innerInstructions: landed.innerInstructions.map((entry) => ({
      index: entry.index,
      instructions: entry.instructions.map((instruction) => ({ ...instruction })),
    })),
    logMessages: landed.logs,
    preTokenBalances: [],
    postTokenBalances: [],
    rewards: [],
    loadedAddresses: {
      writable: landed.loadedAddresses.writable,
      readonly: landed.loadedAddresses.readonly,
    },
    returnData: landed.returnData ? returnDataJson(landed.returnData) : undefined,
    computeUnitsConsumed: landed.computeUnitsConsumed,
  };
}

function formatUnits(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const text = amount.toString().padStart(decimals + 1, "0");
  const whole = text.slice(0, -decimals);
  const fraction = text.slice(-decimals).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}
