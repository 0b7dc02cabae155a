// A remote attestation key through the real daemon on one anvil: two
// Endpoints (SRC → DST, 2 of 3 verifiers) and two relayers built by
// startRelayer from their configs. Relayer 0's verifier key lives in the
// stand-in signer (web3signer's eth1 protocol, bearer token) and it pays
// deliveries from a local sender key; relayer 1 signs locally. The third
// verifier is not running, so the packet is delivered only if the Endpoint
// accepts the remotely made signature.
import { Writable } from "node:stream";
import { decodePacket, type Hex, wireToEvmAddress } from "@loanbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilNode, startAnvil } from "../chains/evm/anvil.ts";
import { recoverSigner } from "../chains/evm/signer.ts";
import {
  DST_EID,
  deployEndpointPair,
  devKey,
  type EndpointPair,
  mine,
  SRC_EID,
  VERIFIER_ADDRESSES,
  VERIFIER_KEYS,
} from "../chains/evm/testing.ts";
import { parseConfig } from "../config/load.ts";
import { type RunningRelayer, startRelayer } from "../daemon/index.ts";
import { createLogger } from "../observability/logger.ts";
import { testStoreImage } from "../store/testing.ts";
import { type StandInSigner, startStandInSigner } from "./testing.ts";

const TOKEN = "remote-chain-test-token-never-logged-42";
const SENDER_KEY = devKey(5);

let anvil: AnvilNode;
let pair: EndpointPair;
let signer: StandInSigner;
const relayers: RunningRelayer[] = [];
const logs: string[][] = [];

function configFor(index: number, signerKey: unknown, executor: boolean) {
  const chain = (eid: number, endpoint: string) => ({
    eid,
    rpcUrls: [anvil.url],
    insecureSingleRpc: true,
    endpoint,
    signerKey,
  });
  const raw = (evm: ReturnType<typeof chain>) => ({
    relayerId: `remote-${index}`,
    store: { kind: "pglite", dataDir: "memory://" },
    api: { port: 0 },
    log: { level: "debug" },
    chains: { evm },
    pipeline: { pollIntervalMs: 100, retryBackoff: { initialMs: 100, maxMs: 1_000 } },
    executor: {
      enabled: executor,
      takeoverWindowMs: 100,
      ...(executor && { evmSenderKey: { env: "TEST_SENDER_KEY" } }),
    },
  });
  const destination = parseConfig(raw(chain(DST_EID, pair.addresses.destination)), {}).chains.evm;
  if (destination === undefined) throw new Error("no destination chain");
  return {
    config: parseConfig(raw(chain(SRC_EID, pair.addresses.source)), {}),
    extraEvmChains: [destination],
  };
}

async function start(
  index: number,
  signerKey: unknown,
  executor: boolean,
): Promise<RunningRelayer> {
  const lines: string[] = [];
  logs.push(lines);
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const { config, extraEvmChains } = configFor(index, signerKey, executor);
  const relayer = await startRelayer(config, {
    env: {
      TEST_SIGNER_TOKEN: TOKEN,
      TEST_SENDER_KEY: SENDER_KEY,
      TEST_LOCAL_KEY: VERIFIER_KEYS[1],
    },
    extraEvmChains,
    logger: createLogger({ level: "debug", relayerId: `remote-${index}`, stream }),
    // Its in-memory store from a migrated image instead of initdb.
    memoryImage: await testStoreImage(),
  });
  relayers.push(relayer);
  return relayer;
}

async function waitFor(what: string, done: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  anvil = await startAnvil({ slotsInAnEpoch: 4 });
  pair = await deployEndpointPair(anvil.url, { threshold: 2 });
  signer = await startStandInSigner({ evmKeys: [VERIFIER_KEYS[0] as Hex], token: TOKEN });
}, 120_000);

afterAll(async () => {
  for (const relayer of relayers) await relayer.stop();
  // A failed beforeAll leaves these unset.
  await (signer as StandInSigner | undefined)?.close();
  await (anvil as AnvilNode | undefined)?.stop();
});

describe("a verifier whose key is at a remote signer", () => {
  it("attestsRemotely_andThePacketIsDeliveredWithThatSignature", { timeout: 120_000 }, async () => {
    const remote = {
      remote: {
        url: signer.url,
        identifier: signer.evmIdentifiers[0],
        tokenEnv: "TEST_SIGNER_TOKEN",
      },
    };
    const executor = await start(0, remote, true);
    const local = await start(1, { env: "TEST_LOCAL_KEY" }, false);
    executor.context.peers = [local.apiUrl];
    local.context.peers = [executor.apiUrl];
    expect(executor.context.chains.signers.get(DST_EID)?.signer).toBe(VERIFIER_ADDRESSES[0]);

    const { packet } = await pair.send();
    await mine(anvil.url, 8);
    const { receiver, srcEid, sender, nonce, guid } = decodePacket(packet);
    const delivered = pair.destination.getFunction("delivered");
    await waitFor(
      "the delivery",
      async () =>
        (await delivered.staticCall(wireToEvmAddress(receiver), srcEid, sender, nonce)) as boolean,
    );

    const own = await executor.context.store.listAttestations(guid, {
      signers: [VERIFIER_ADDRESSES[0] ?? ""],
    });
    expect(
      own.map((attestation) => recoverSigner(attestation.digest, attestation.signature)),
    ).toEqual([VERIFIER_ADDRESSES[0]]);
    const signs = signer.requests.filter((request) => request.path.includes("/eth1/sign/"));
    // The startup probe and at least the packet's attestation, each with the token.
    expect(signs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(signs.map((request) => request.authorization))).toEqual(
      new Set([`Bearer ${TOKEN}`]),
    );
    for (const lines of logs) expect(lines.join("")).not.toContain(TOKEN);
  });
});
