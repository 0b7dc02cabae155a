// Shared setup for the LiteSVM tests: a program with an initialized endpoint
// (3 verifiers, threshold 2), peers for the vault and the pool on a remote
// EVM chain, and helpers to build, attest and deliver packets with real
// ed25519 signatures through the Ed25519 precompile.
import {
  addressToWire,
  encodeLoanMessage,
  encodePacket,
  type Hex,
  type LoanMessage,
  type LoanMessageOf,
  packetAttestationDigest,
  toBytes,
  toHex,
} from "@loanbridge/shared";
import {
  type Address,
  type Instruction,
  type KeyPairSigner,
  generateKeyPairSigner,
} from "@solana/kit";
import {
  addressBytes,
  createMint,
  createTokenAccount,
  type LendInput,
  deliverInstructions,
  depositInstruction,
  type DeliverInput,
  type Ed25519Attestation,
  initializeEndpointInstruction,
  initializePoolInstruction,
  initializeVaultInstruction,
  pda,
  poolReceiveAccounts,
  setBeneficiaryInstruction,
  setCollateralInstruction,
  setPeerInstruction,
  setPriceInstruction,
  signAttestation,
} from "../client/index.ts";
import { type Outcome, type ProgramHarness, startProgram } from "../client/litesvm.ts";

export const LOCAL_EID = 40168;
export const REMOTE_EID = 40161;
/** The remote chain's apps (EVM addresses as bytes32). */
export const REMOTE_VAULT = addressToWire("0x1111111111111111111111111111111111111111");
export const REMOTE_POOL = addressToWire("0x2222222222222222222222222222222222222222");

export interface EndpointFixture {
  program: ProgramHarness;
  id: Address;
  admin: KeyPairSigner;
  guardian: KeyPairSigner;
  /** Sorted ascending by key bytes, as the program requires. */
  verifiers: KeyPairSigner[];
  vault: Address;
  pool: Address;
  endpoint: Address;
}

/** Key pairs sorted by their public key bytes. */
export async function sortedSigners(count: number): Promise<KeyPairSigner[]> {
  const signers = await Promise.all(Array.from({ length: count }, () => generateKeyPairSigner()));
  return signers.sort((a, b) => Buffer.compare(addressBytes(a.address), addressBytes(b.address)));
}

export function expectOk(outcome: Outcome): void {
  if (!outcome.ok) {
    throw new Error(
      `transaction failed: ${JSON.stringify(outcome.error)}\n${outcome.logs.join("\n")}`,
    );
  }
}

/** Starts the program, initializes the endpoint and sets both apps' peers. */
export async function startEndpoint(
  options: { verifiers?: number; threshold?: number; peers?: boolean } = {},
): Promise<EndpointFixture> {
  const program = await startProgram();
  const id = program.programAddress;
  const admin = await program.fundedSigner();
  const guardian = await program.fundedSigner();
  const verifiers = await sortedSigners(options.verifiers ?? 3);
  expectOk(
    await program.send(
      await initializeEndpointInstruction(id, {
        payer: program.payer,
        admin,
        localEid: LOCAL_EID,
        guardian: guardian.address,
        threshold: options.threshold ?? 2,
        verifiers: verifiers.map((v) => v.address),
      }),
    ),
  );
  const vault = await pda.vault(id);
  const pool = await pda.pool(id);
  if (options.peers ?? true) {
    for (const [app, remoteApp] of [
      [vault, REMOTE_POOL],
      [pool, REMOTE_VAULT],
    ] as const) {
      expectOk(
        await program.send(
          await setPeerInstruction(id, {
            payer: program.payer,
            admin,
            app,
            remoteEid: REMOTE_EID,
            remoteApp: toBytes(remoteApp),
          }),
        ),
      );
    }
  }
  return { program, id, admin, guardian, verifiers, vault, pool, endpoint: await pda.endpoint(id) };
}

/** A packet from the remote peer to a local app. */
export function inboundPacket(
  receiver: Address,
  message: LoanMessage | Uint8Array,
  header: Partial<{ nonce: bigint; srcEid: number; sender: Hex; dstEid: number }> = {},
): Uint8Array {
  const bytes = message instanceof Uint8Array ? message : encodeLoanMessage(message);
  return encodePacket(
    {
      nonce: header.nonce ?? 1n,
      srcEid: header.srcEid ?? REMOTE_EID,
      sender: header.sender ?? REMOTE_POOL,
      dstEid: header.dstEid ?? LOCAL_EID,
      receiver: toHex(addressBytes(receiver)),
    },
    bytes,
  );
}

/** The endpoint's current epoch. */
export function currentEpoch(fixture: EndpointFixture): bigint {
  const epoch = fixture.program.decode("Endpoint", fixture.endpoint).epoch;
  if (typeof epoch !== "bigint") throw new Error("epoch is not a u64");
  return epoch;
}

/**
 * The digest of `packet` for the endpoint `program` (the program id as
 * bytes32) at `epoch`, and each signer's signature of it.
 */
export async function attest(
  signers: KeyPairSigner[],
  packet: Uint8Array,
  epoch: bigint,
  program: Address,
): Promise<{ digest: Uint8Array; attestations: Ed25519Attestation[] }> {
  const digest = toBytes(packetAttestationDigest(toHex(addressBytes(program)), epoch, packet));
  const attestations = await Promise.all(signers.map((signer) => signAttestation(signer, digest)));
  return { digest, attestations };
}

/** Ed25519 + Deliver instructions for `packet`, signed by `signers` (default: the first two verifiers). */
export async function deliveryInstructions(
  fixture: EndpointFixture,
  packet: Uint8Array,
  options: Partial<Omit<DeliverInput, "packet">> & {
    signers?: KeyPairSigner[];
    epoch?: bigint;
    /** The endpoint the signatures are for (default: this program). */
    endpoint?: Address;
  } = {},
): Promise<Instruction[]> {
  const signers = options.signers ?? fixture.verifiers.slice(0, 2);
  const { digest, attestations } = await attest(
    signers,
    packet,
    options.epoch ?? currentEpoch(fixture),
    options.endpoint ?? fixture.id,
  );
  return deliverInstructions(fixture.id, {
    payer: options.payer ?? fixture.program.payer,
    packet,
    attestations,
    digest,
    ...(options.appAccounts ? { appAccounts: options.appAccounts } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
}

/** Delivers `packet` with real signatures (see `deliveryInstructions`). */
export async function deliver(
  fixture: EndpointFixture,
  packet: Uint8Array,
  options: Parameters<typeof deliveryInstructions>[2] = {},
): Promise<Outcome> {
  return fixture.program.send(...(await deliveryInstructions(fixture, packet, options)));
}

/** Expects a failure with the program's custom error `code`. */
export function expectCustomError(outcome: Outcome, code: number | undefined): void {
  if (code === undefined) throw new Error("unknown error name");
  if (outcome.ok) throw new Error(`expected error ${code}, transaction succeeded`);
  if (outcome.error.kind !== "custom" || outcome.error.code !== code) {
    throw new Error(
      `expected custom error ${code}, got ${JSON.stringify(outcome.error)}\n${outcome.logs.join("\n")}`,
    );
  }
}

/** `instruction` with the account at `index` replaced. */
export function withAccount(
  instruction: Instruction,
  index: number,
  account: NonNullable<Instruction["accounts"]>[number],
): Instruction {
  const accounts = [...(instruction.accounts ?? [])];
  accounts[index] = account;
  return { ...instruction, accounts };
}

/** The clock the vault and pool tests start at. */
export const NOW = 1_700_000_000n;
export const REQUEST_TTL = 3_600n;

export interface VaultFixture extends EndpointFixture {
  /** The vault's next loan and packet nonces, read from chain. */
  nextNonces(): { vaultNonce: bigint; packetNonce: bigint };
}

/** An endpoint fixture with the vault initialized (lending chain: REMOTE_EID). */
export async function startVault(): Promise<VaultFixture> {
  const fixture = await startEndpoint();
  fixture.program.setTime(NOW);
  expectOk(
    await fixture.program.send(
      await initializeVaultInstruction(fixture.id, {
        payer: fixture.program.payer,
        admin: fixture.admin,
        lendingEid: REMOTE_EID,
        requestTtl: REQUEST_TTL,
      }),
    ),
  );
  const nonceAccount = await pda.nonce(fixture.id, fixture.vault, REMOTE_EID);
  return {
    ...fixture,
    nextNonces() {
      const vault = fixture.program.decode("Vault", fixture.vault);
      const nonce = fixture.program.decode("OutboundNonce", nonceAccount);
      return {
        vaultNonce: (vault.loan_nonce as bigint) + 1n,
        packetNonce: (nonce.nonce as bigint) + 1n,
      };
    },
  };
}

/** Open arguments a test starts from (a deadline of a full TTL for an open at NOW). */
export const OPEN_DEFAULTS = {
  expiresAt: NOW + REQUEST_TTL,
  principal: 1_000_000_000n,
  maxRateBps: 800,
  termSeconds: 30n * 86_400n,
  recipient: toBytes(addressToWire("0x3333333333333333333333333333333333333333")),
};

/** Stablecoin base units per whole unit (6 decimals). */
export const USDC = 1_000_000n;
export const ETH = 10n ** 18n;
/** ETH at $3,000: stablecoin base units per 10^18 wei. */
export const ETH_PRICE = 3_000n * USDC;
export const ETH_PRICE_ID = new Uint8Array(32).fill(0xe7);
export const NATIVE_ASSET = new Uint8Array(32);
export const POOL_TERMS = {
  rateBps: 500,
  minTermSeconds: 86_400n,
  maxTermSeconds: 365n * 86_400n,
  gracePeriodSeconds: 7n * 86_400n,
};
export const MAX_PRICE_AGE = 3_600n;
/** A week: 62 buckets cover POOL_TERMS' year-long longest term. */
export const DUE_BUCKET_SECONDS = 7n * 86_400n;

/**
 * A loan's due time as the pool sets it (shared/LOANS.md): start + term
 * rounded up to the next multiple of the due-bucket width.
 */
export function dueTimeOf(start: bigint, termSeconds: bigint): bigint {
  const end = start + termSeconds;
  return ((end + DUE_BUCKET_SECONDS - 1n) / DUE_BUCKET_SECONDS) * DUE_BUCKET_SECONDS;
}
export const LIQUIDITY = 1_000_000n * USDC;

export interface PoolFixture extends EndpointFixture {
  stablecoin: Address;
  lender: KeyPairSigner;
  lenderStablecoin: Address;
  lenderShares: Address;
  beneficiary: Uint8Array;
  /** The pool's next packet nonce towards REMOTE_EID. */
  packetNonce(): bigint;
  /** A borrower-side recipient wallet with a stablecoin account. */
  recipient(): Promise<{ wallet: KeyPairSigner; tokens: Address }>;
}

/**
 * An endpoint fixture with the pool initialized, ETH from REMOTE_EID
 * configured (70% / 80%) and priced, a beneficiary set, and LIQUIDITY
 * deposited by a lender.
 */
export async function startPool(options: { deposit?: boolean } = {}): Promise<PoolFixture> {
  const fixture = await startEndpoint();
  const { program, id, admin } = fixture;
  program.setTime(NOW);
  const stablecoin = await createMint(program.svm, admin.address, 6);
  const send = async (instruction: Promise<Instruction>) => {
    expectOk(await program.send(await instruction));
  };
  await send(
    initializePoolInstruction(id, {
      payer: program.payer,
      admin,
      stablecoin,
      terms: POOL_TERMS,
      maxPriceAge: MAX_PRICE_AGE,
      dueBucketSeconds: DUE_BUCKET_SECONDS,
    }),
  );
  await send(
    setCollateralInstruction(id, {
      payer: program.payer,
      admin,
      remoteEid: REMOTE_EID,
      asset: NATIVE_ASSET,
      maxLtvBps: 7_000,
      liquidationLtvBps: 8_000,
      priceId: ETH_PRICE_ID,
    }),
  );
  await send(
    setPriceInstruction(id, {
      payer: program.payer,
      admin,
      priceId: ETH_PRICE_ID,
      price: ETH_PRICE,
    }),
  );
  const beneficiary = toBytes(addressToWire("0x4444444444444444444444444444444444444444"));
  await send(
    setBeneficiaryInstruction(id, {
      payer: program.payer,
      admin,
      remoteEid: REMOTE_EID,
      beneficiary,
    }),
  );

  const lender = await program.fundedSigner();
  const lenderStablecoin = await createTokenAccount(
    program.svm,
    stablecoin,
    lender.address,
    LIQUIDITY,
  );
  const lenderShares = await createTokenAccount(program.svm, await pda.shares(id), lender.address);
  if (options.deposit ?? true) {
    await send(depositInstruction(id, { lender, lenderStablecoin, lenderShares }, LIQUIDITY));
  }
  const nonceAccount = await pda.nonce(id, fixture.pool, REMOTE_EID);
  return {
    ...fixture,
    stablecoin,
    lender,
    lenderStablecoin,
    lenderShares,
    beneficiary,
    packetNonce: () => (program.decode("OutboundNonce", nonceAccount).nonce as bigint) + 1n,
    async recipient() {
      const wallet = await generateKeyPairSigner();
      return { wallet, tokens: await createTokenAccount(program.svm, stablecoin, wallet.address) };
    },
  };
}

/** An OPEN_LOAN from the remote vault: 1 ETH for 1,000 USDC over 30 days, unless overridden. */
export function openLoanMessage(
  recipient: Address,
  overrides: Partial<LoanMessageOf<"OPEN_LOAN">> = {},
): LoanMessageOf<"OPEN_LOAN"> {
  return {
    type: "OPEN_LOAN",
    loanId: toHex(crypto.getRandomValues(new Uint8Array(32))),
    borrower: addressToWire("0x5555555555555555555555555555555555555555"),
    recipient: toHex(addressBytes(recipient)),
    collateralAsset: toHex(NATIVE_ASSET),
    collateralAmount: ETH,
    principal: 1_000n * USDC,
    maxRateBps: 800,
    termSeconds: 30n * 86_400n,
    expiresAt: NOW + 3_600n,
    installments: 1,
    ...overrides,
  };
}

let inboundNonce = 0n;
/** A fresh inbound nonce (so every test packet has its own guid). */
export function nextInboundNonce(): bigint {
  inboundNonce += 1n;
  return inboundNonce;
}

/** How a test delivers an OPEN_LOAN: whose tokens, its inbound nonce, price and answer packet accounts. */
export interface OpenLoanDeliveryOptions {
  recipientTokens: Address;
  nonce?: bigint;
  priceId?: Uint8Array;
  /** The first answer nonce named (default the pool's next). */
  packetNonce?: bigint;
  packetCandidates?: number;
}

/** Ed25519 + Deliver instructions of an OPEN_LOAN from the remote vault to the pool, with its nonce and accounts. */
export async function openLoanDelivery(
  fixture: PoolFixture,
  message: LoanMessageOf<"OPEN_LOAN">,
  options: OpenLoanDeliveryOptions,
): Promise<Instruction[]> {
  const appAccounts = await poolReceiveAccounts(fixture.id, {
    loanId: toBytes(message.loanId),
    srcEid: REMOTE_EID,
    packetNonce: options.packetNonce ?? fixture.packetNonce(),
    ...(options.packetCandidates !== undefined && { packetCandidates: options.packetCandidates }),
    asset: toBytes(message.collateralAsset),
    priceId: options.priceId ?? ETH_PRICE_ID,
    recipientTokens: options.recipientTokens,
  });
  const packet = inboundPacket(fixture.pool, message, {
    sender: REMOTE_VAULT,
    nonce: options.nonce ?? nextInboundNonce(),
  });
  return deliveryInstructions(fixture, packet, { appAccounts });
}

/** Delivers an OPEN_LOAN from the remote vault to the pool, with its nonce and accounts. */
export async function deliverOpenLoan(
  fixture: PoolFixture,
  message: LoanMessageOf<"OPEN_LOAN">,
  options: OpenLoanDeliveryOptions,
): Promise<Outcome> {
  return fixture.program.send(...(await openLoanDelivery(fixture, message, options)));
}

/** A new funded wallet holding `amount` of the pool's stablecoin, with an empty share account. */
export async function newLender(fixture: PoolFixture, amount: bigint): Promise<LendInput> {
  const wallet = await fixture.program.fundedSigner();
  return {
    lender: wallet,
    lenderStablecoin: await createTokenAccount(
      fixture.program.svm,
      fixture.stablecoin,
      wallet.address,
      amount,
    ),
    lenderShares: await createTokenAccount(
      fixture.program.svm,
      await pda.shares(fixture.id),
      wallet.address,
    ),
  };
}
