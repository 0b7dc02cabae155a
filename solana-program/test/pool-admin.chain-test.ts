// InitializePool and the pool's settings: terms, collateral, beneficiary,
// prices, price age, pause (admin or guardian; only the admin unpauses).
import { beforeEach, describe, expect, it } from "vitest";
import {
  createMint,
  initializePoolInstruction,
  LoanbridgeProgramError as E,
  mintSupply,
  pausePoolInstruction,
  pda,
  setBeneficiaryInstruction,
  setCollateralInstruction,
  setLoanTermsInstruction,
  setMaxPriceAgeInstruction,
  setPriceInstruction,
  unpausePoolInstruction,
} from "../client/index.ts";
import {
  type EndpointFixture,
  ETH_PRICE_ID,
  expectCustomError,
  expectOk,
  DUE_BUCKET_SECONDS,
  MAX_PRICE_AGE,
  NATIVE_ASSET,
  NOW,
  POOL_TERMS,
  type PoolFixture,
  REMOTE_EID,
  startEndpoint,
  startPool,
} from "./fixture.ts";

/** `MAX_RATE_BPS` (src/pool/mod.rs, shared/LOANS.md "Bounds so every loan can close"). */
const MAX_RATE_BPS = 100_000;

describe("InitializePool", () => {
  let fixture: EndpointFixture;

  beforeEach(async () => {
    fixture = await startEndpoint();
  });

  const initialize = async (
    terms = POOL_TERMS,
    admin = fixture.admin,
    dueBucketSeconds = DUE_BUCKET_SECONDS,
  ) =>
    fixture.program.send(
      await initializePoolInstruction(fixture.id, {
        payer: fixture.program.payer,
        admin,
        stablecoin: await createMint(fixture.program.svm, fixture.admin.address, 6),
        terms,
        maxPriceAge: MAX_PRICE_AGE,
        dueBucketSeconds,
      }),
    );

  it("createsPoolLiquidityAndShareMint", async () => {
    expectOk(await initialize());

    const pool = fixture.program.decode("Pool", fixture.pool);
    expect(pool).toMatchObject({
      paused: 0,
      share_mint: await pda.shares(fixture.id),
      liquidity: await pda.liquidity(fixture.id),
      rate_bps: POOL_TERMS.rateBps,
      min_term_seconds: POOL_TERMS.minTermSeconds,
      max_term_seconds: POOL_TERMS.maxTermSeconds,
      grace_period_seconds: POOL_TERMS.gracePeriodSeconds,
      max_price_age: MAX_PRICE_AGE,
      due_bucket_seconds: DUE_BUCKET_SECONDS,
      performing_principal: 0n,
    });
    expect(mintSupply(fixture.program.svm, await pda.shares(fixture.id))).toBe(0n);
    // Shares carry 3 more decimals than the 6-decimal stablecoin.
    expect(fixture.program.data(await pda.shares(fixture.id))?.[44]).toBe(9);
    expectCustomError(await initialize(), E.AccountAlreadyInitialized);
  });

  it("invertedTermRange_failsWithPoolInvalidTermRange", async () => {
    expectCustomError(
      await initialize({ ...POOL_TERMS, minTermSeconds: 10n, maxTermSeconds: 9n }),
      E.PoolInvalidTermRange,
    );
  });

  it("notAdmin_failsWithUnauthorized", async () => {
    expectCustomError(await initialize(POOL_TERMS, fixture.guardian), E.Unauthorized);
  });

  it("dueBucketOutsideAnHourToAYear_failsWithPoolInvalidDueBucket", async () => {
    for (const width of [0n, 3_599n, 31_536_001n, 2n ** 64n - 1n]) {
      expectCustomError(
        await initialize(
          { ...POOL_TERMS, maxTermSeconds: 0n, minTermSeconds: 0n },
          undefined,
          width,
        ),
        E.PoolInvalidDueBucket,
      );
    }
  });

  it("longestTermAboveSixtyTwoBuckets_failsWithPoolMaxTermAboveBucketRing", async () => {
    // A longer term would put a loan's due bucket on a slot of the ring a
    // live bucket still holds.
    expectCustomError(
      await initialize({ ...POOL_TERMS, maxTermSeconds: 62n * 3_600n + 1n }, undefined, 3_600n),
      E.PoolMaxTermAboveBucketRing,
    );
    expectOk(await initialize({ ...POOL_TERMS, maxTermSeconds: 62n * 3_600n }, undefined, 3_600n));
    // The cursor starts at the first bucket not yet due.
    const now = fixture.program.svm.getClock().unixTimestamp;
    expect(fixture.program.decode("Pool", fixture.pool)).toMatchObject({
      due_bucket_seconds: 3_600n,
      due_cursor: (now + 3_599n) / 3_600n,
    });
  });

  it("rateAboveMaxRateBps_failsWithPoolRateTooHigh", async () => {
    // Issue 12 finding 5: an absurd owner-set rate is refused at configuration.
    fixture.program.setTime(NOW);
    expectCustomError(
      await initialize({ ...POOL_TERMS, rateBps: MAX_RATE_BPS + 1 }),
      E.PoolRateTooHigh,
    );
    expectOk(await initialize({ ...POOL_TERMS, rateBps: MAX_RATE_BPS }));
    expect(fixture.program.decode("Pool", fixture.pool)).toMatchObject({
      rate_bps: MAX_RATE_BPS,
      performing_interest: 0n,
      rate_weight: 0n,
    });
  });
});

describe("pool settings", () => {
  let fixture: PoolFixture;

  beforeEach(async () => {
    fixture = await startPool({ deposit: false });
  });

  const send = async (instruction: Promise<Parameters<typeof fixture.program.send>[0]>) =>
    fixture.program.send(await instruction);
  const collateral = (maxLtvBps: number, liquidationLtvBps: number, admin = fixture.admin) =>
    send(
      setCollateralInstruction(fixture.id, {
        payer: fixture.program.payer,
        admin,
        remoteEid: REMOTE_EID,
        asset: NATIVE_ASSET,
        maxLtvBps,
        liquidationLtvBps,
        priceId: ETH_PRICE_ID,
      }),
    );

  it("setLoanTerms_updatesAndValidates", async () => {
    const terms = { rateBps: 900, minTermSeconds: 1n, maxTermSeconds: 2n, gracePeriodSeconds: 3n };
    expectOk(await send(setLoanTermsInstruction(fixture.id, fixture.admin, terms)));
    expect(fixture.program.decode("Pool", fixture.pool)).toMatchObject({
      rate_bps: 900,
      min_term_seconds: 1n,
      max_term_seconds: 2n,
      grace_period_seconds: 3n,
    });
    expectCustomError(
      await send(
        setLoanTermsInstruction(fixture.id, fixture.admin, { ...terms, minTermSeconds: 3n }),
      ),
      E.PoolInvalidTermRange,
    );
    // The ring bounds the longest term: 62 buckets of the pool's width.
    const longest = 62n * DUE_BUCKET_SECONDS;
    expectCustomError(
      await send(
        setLoanTermsInstruction(fixture.id, fixture.admin, {
          ...terms,
          maxTermSeconds: longest + 1n,
        }),
      ),
      E.PoolMaxTermAboveBucketRing,
    );
    expectOk(
      await send(
        setLoanTermsInstruction(fixture.id, fixture.admin, { ...terms, maxTermSeconds: longest }),
      ),
    );
    expectOk(await send(setLoanTermsInstruction(fixture.id, fixture.admin, terms)));
    expectCustomError(
      await send(setLoanTermsInstruction(fixture.id, fixture.guardian, terms)),
      E.Unauthorized,
    );
  });

  it("setLoanTermsAboveMaxRateBps_failsWithPoolRateTooHigh", async () => {
    const terms = { ...POOL_TERMS, rateBps: MAX_RATE_BPS + 1 };

    expectCustomError(
      await send(setLoanTermsInstruction(fixture.id, fixture.admin, terms)),
      E.PoolRateTooHigh,
    );
    expect(fixture.program.decode("Pool", fixture.pool).rate_bps).toBe(POOL_TERMS.rateBps);
  });

  it("setMaxPriceAge_updates", async () => {
    expectOk(await send(setMaxPriceAgeInstruction(fixture.id, fixture.admin, 42n)));
    expect(fixture.program.decode("Pool", fixture.pool).max_price_age).toBe(42n);
  });

  it("setCollateral_enforcesLtvOrdering", async () => {
    expectOk(await collateral(5_000, 10_000));
    const config = fixture.program.decode(
      "CollateralConfig",
      await pda.collateral(fixture.id, REMOTE_EID, NATIVE_ASSET),
    );
    expect(config).toMatchObject({
      max_ltv_bps: 5_000,
      liquidation_ltv_bps: 10_000,
      remote_eid: REMOTE_EID,
      price_id: ETH_PRICE_ID,
    });

    for (const [max, liquidation] of [
      [0, 8_000],
      [8_000, 8_000],
      [9_000, 8_000],
      [5_000, 10_001],
      [5_000, 0],
    ] as const) {
      expectCustomError(await collateral(max, liquidation), E.PoolInvalidLtv);
    }
    expectCustomError(await collateral(5_000, 8_000, fixture.guardian), E.Unauthorized);
  });

  it("setCollateral_bothZero_removes", async () => {
    expectOk(await collateral(0, 0));
    const config = fixture.program.decode(
      "CollateralConfig",
      await pda.collateral(fixture.id, REMOTE_EID, NATIVE_ASSET),
    );
    expect(config).toMatchObject({
      max_ltv_bps: 0,
      liquidation_ltv_bps: 0,
      price_id: new Uint8Array(32),
    });
  });

  it("setPrice_timestampsNow", async () => {
    fixture.program.setTime(NOW + 77n);
    expectOk(
      await send(
        setPriceInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          priceId: ETH_PRICE_ID,
          price: 5n,
        }),
      ),
    );
    expect(
      fixture.program.decode("Price", await pda.price(fixture.id, ETH_PRICE_ID)),
    ).toMatchObject({
      price_id: ETH_PRICE_ID,
      price: 5n,
      updated_at: NOW + 77n,
    });
  });

  it("setBeneficiary_updates", async () => {
    const beneficiary = new Uint8Array(32).fill(8);
    expectOk(
      await send(
        setBeneficiaryInstruction(fixture.id, {
          payer: fixture.program.payer,
          admin: fixture.admin,
          remoteEid: REMOTE_EID,
          beneficiary,
        }),
      ),
    );
    expect(
      fixture.program.decode("Beneficiary", await pda.beneficiary(fixture.id, REMOTE_EID)),
    ).toMatchObject({
      remote_eid: REMOTE_EID,
      beneficiary,
    });
  });

  it("pause_byGuardianOrAdmin_unpauseByAdminOnly", async () => {
    expectOk(await send(pausePoolInstruction(fixture.id, fixture.guardian)));
    expect(fixture.program.decode("Pool", fixture.pool).paused).toBe(1);
    expectCustomError(await send(pausePoolInstruction(fixture.id, fixture.admin)), E.PoolPaused);
    expectCustomError(
      await send(unpausePoolInstruction(fixture.id, fixture.guardian)),
      E.Unauthorized,
    );
    expectOk(await send(unpausePoolInstruction(fixture.id, fixture.admin)));
    expectCustomError(
      await send(unpausePoolInstruction(fixture.id, fixture.admin)),
      E.PoolNotPaused,
    );
    const stranger = await fixture.program.fundedSigner();
    expectCustomError(await send(pausePoolInstruction(fixture.id, stranger)), E.NotGuardian);
  });
});
