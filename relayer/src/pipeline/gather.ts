// Stage 4, gather: this relayer's own attestation plus the peers' (from
// their `GET /v1/attestations?guids=…`), keeping only valid ones: the
// current epoch, the digest we computed ourselves, a signer in the
// destination's current set, and a signature by that signer (secp256k1
// recovery for EVM destinations, ed25519 verification for Solana).
// Valid peer attestations are stored, so a restart need not ask again.
// A deliver batch asks each peer once for all its packets
// (`prefetchAttestations`); a packet still short when its turn comes asks
// again for itself alone. A running relayer also pushes each attestation it
// makes to its peers (`POST /v1/attestations`), which take the valid ones
// and make those packets due at once: the executor need not wait for its
// next ask.
import { type Hex, packetAttestationDigest, toBytes } from "@loanbridge/shared";
import { z } from "zod";
import { recoverSigner } from "../chains/evm/signer.ts";
import { verifyEd25519 } from "../chains/solana/signer.ts";
import type { Attestation, ChainKind, VerifierSet } from "../chains/types.ts";
import { MAX_ATTESTATION_GUIDS } from "../api/params.ts";
import { withDeadline } from "../deadline.ts";
import type { PacketRecord } from "../store/types.ts";
import { kindOf, type PipelineContext } from "./context.ts";

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/) as unknown as z.ZodType<Hex>;

const peerAnswer = z.object({
  attestations: z.array(
    z.object({
      guid: hex,
      signer: z.string(),
      epoch: z.union([z.string().regex(/^\d+$/), z.int().min(0)]).transform((v) => BigInt(v)),
      digest: hex,
      signature: hex,
    }),
  ),
});

/**
 * One peer's attestations of `guids` (at most MAX_ATTESTATION_GUIDS), in one
 * request; errors and timeouts are reported and count as none.
 */
export async function fetchPeerAttestations(
  context: Pick<PipelineContext, "peerTimeoutMs" | "onError" | "fetch" | "signal">,
  peer: string,
  guids: readonly Hex[],
): Promise<Attestation[]> {
  const doFetch = context.fetch ?? fetch;
  const url = `${peer.replace(/\/+$/, "")}/v1/attestations?guids=${guids.join(",")}`;
  try {
    return await withDeadline(context.peerTimeoutMs, context.signal, async (signal) => {
      const response = await doFetch(url, { signal });
      if (!response.ok) throw new Error(`peer ${peer} answered ${response.status}`);
      return peerAnswer.parse(await response.json()).attestations;
    });
  } catch (error) {
    context.onError(error, `gather.peer ${peer}`, guids.length === 1 ? guids[0] : undefined);
    return [];
  }
}

const sameSigner = (kind: ChainKind, a: string, b: string): boolean =>
  kind === "evm" ? a.toLowerCase() === b.toLowerCase() : a === b;

/** Whether `attestation` may go into a delivery of `packet` to a destination with `set`. */
export function isValidAttestation(
  kind: ChainKind,
  attestation: Attestation,
  expected: { guid: Hex; digest: Hex; set: VerifierSet },
): boolean {
  if (attestation.guid.toLowerCase() !== expected.guid.toLowerCase()) return false;
  if (attestation.epoch !== expected.set.epoch) return false;
  if (attestation.digest.toLowerCase() !== expected.digest.toLowerCase()) return false;
  if (!expected.set.signers.some((signer) => sameSigner(kind, signer, attestation.signer))) {
    return false;
  }
  if (kind === "solana") {
    return verifyEd25519(
      attestation.signer,
      toBytes(expected.digest),
      toBytes(attestation.signature),
    );
  }
  const recovered = recoverSigner(expected.digest, attestation.signature);
  return recovered !== undefined && sameSigner(kind, recovered, attestation.signer);
}

/** What a valid attestation of `packet` must match, at `set`; none without a deliverer. */
function expectationOf(context: PipelineContext, packet: PacketRecord, set: VerifierSet) {
  const deliverer = context.chains.deliverers.get(packet.dstEid);
  if (deliverer === undefined) return undefined;
  const digest = packetAttestationDigest(deliverer.endpoint, set.epoch, packet.packet);
  return { kind: kindOf(context, packet.dstEid), expected: { guid: packet.guid, digest, set } };
}

/**
 * Stores peers' attestations already judged valid, in one statement; how
 * many were new. A store error, or one contradicting what is stored, is
 * reported, not thrown.
 */
async function storePeerAttestations(
  context: PipelineContext,
  attestations: readonly Attestation[],
): Promise<number> {
  try {
    const { created, conflicts } = await context.store.putAttestations(attestations);
    for (const { guid, error } of conflicts) context.onError(error, "gather.store", guid);
    return created;
  } catch (error) {
    const guids = new Set(attestations.map((attestation) => attestation.guid));
    context.onError(error, "gather.store", guids.size === 1 ? [...guids][0] : undefined);
    return 0;
  }
}

/**
 * Asks each peer once (in chunks of MAX_ATTESTATION_GUIDS) for the
 * attestations of a batch of packets not yet holding a threshold of them
 * here, and stores the valid ones: each packet's gather then finds them
 * without a request of its own. The destinations' sets are read once each.
 */
export async function prefetchAttestations(
  context: PipelineContext,
  packets: readonly PacketRecord[],
): Promise<void> {
  if (context.peers.length === 0 || packets.length === 0) return;
  const sets = new Map<number, VerifierSet>();
  for (const eid of new Set(packets.map((packet) => packet.dstEid))) {
    const deliverer = context.chains.deliverers.get(eid);
    if (deliverer !== undefined) sets.set(eid, await deliverer.verifierSet());
  }
  const stored = await context.store.listAttestationsOf(packets.map((packet) => packet.guid));
  const wanted = new Map<Hex, NonNullable<ReturnType<typeof expectationOf>>>();
  for (const packet of packets) {
    const set = sets.get(packet.dstEid);
    const expectation = set === undefined ? undefined : expectationOf(context, packet, set);
    if (expectation === undefined || set === undefined) continue;
    const valid = stored.filter(
      (attestation) =>
        attestation.guid === packet.guid &&
        isValidAttestation(expectation.kind, attestation, expectation.expected),
    );
    if (valid.length < set.threshold) wanted.set(packet.guid, expectation);
  }
  const guids = [...wanted.keys()];
  const chunks = Array.from({ length: Math.ceil(guids.length / MAX_ATTESTATION_GUIDS) }, (_, i) =>
    guids.slice(i * MAX_ATTESTATION_GUIDS, (i + 1) * MAX_ATTESTATION_GUIDS),
  );
  const answers = await Promise.all(
    context.peers.flatMap((peer) =>
      chunks.map((chunk) => fetchPeerAttestations(context, peer, chunk)),
    ),
  );
  const valid = answers.flat().filter((attestation) => {
    const expectation = wanted.get(attestation.guid.toLowerCase() as Hex);
    return (
      expectation !== undefined &&
      isValidAttestation(expectation.kind, attestation, expectation.expected)
    );
  });
  await storePeerAttestations(context, valid);
}

/** The valid attestations for `packet` at the current epoch, one per signer, ours first. */
export async function gatherAttestations(
  context: PipelineContext,
  packet: PacketRecord,
  set: VerifierSet,
): Promise<Attestation[]> {
  const expectation = expectationOf(context, packet, set);
  if (expectation === undefined) return [];
  const { kind, expected } = expectation;
  const stored: Attestation[] = await context.store.listAttestations(packet.guid);
  const bySigner = new Map<string, Attestation>();
  const keep = (attestation: Attestation) => {
    const key = kind === "evm" ? attestation.signer.toLowerCase() : attestation.signer;
    if (!bySigner.has(key) && isValidAttestation(kind, attestation, expected)) {
      bySigner.set(key, attestation);
      return true;
    }
    return false;
  };
  stored.forEach(keep);
  if (bySigner.size >= set.threshold) return [...bySigner.values()];

  const answers = await Promise.all(
    context.peers.map((peer) => fetchPeerAttestations(context, peer, [packet.guid])),
  );
  await storePeerAttestations(context, answers.flat().filter(keep));
  return [...bySigner.values()];
}

/**
 * Sends `attestations` (this relayer's own, just made) to every peer, in
 * requests of at most MAX_ATTESTATION_GUIDS; a peer that does not answer is
 * reported (never thrown) and gets them by asking (prefetch), as before.
 */
export async function pushAttestations(
  context: Pick<PipelineContext, "peers" | "peerTimeoutMs" | "onError" | "fetch" | "signal">,
  attestations: readonly Attestation[],
): Promise<void> {
  if (context.peers.length === 0 || attestations.length === 0) return;
  const doFetch = context.fetch ?? fetch;
  const chunks = Array.from(
    { length: Math.ceil(attestations.length / MAX_ATTESTATION_GUIDS) },
    (_, i) => attestations.slice(i * MAX_ATTESTATION_GUIDS, (i + 1) * MAX_ATTESTATION_GUIDS),
  );
  await Promise.all(
    context.peers.flatMap((peer) =>
      chunks.map(async (chunk) => {
        try {
          await withDeadline(context.peerTimeoutMs, context.signal, async (signal) => {
            const response = await doFetch(`${peer.replace(/\/+$/, "")}/v1/attestations`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({
                attestations: chunk.map((attestation) => ({
                  ...attestation,
                  epoch: attestation.epoch.toString(),
                })),
              }),
              signal,
            });
            // The answer says how many were new there; nothing to do with it.
            await response.body?.cancel();
            if (!response.ok) throw new Error(`peer ${peer} answered ${response.status}`);
          });
        } catch (error) {
          context.onError(error, `attest.push ${peer}`);
        }
      }),
    ),
  );
}

/**
 * Takes attestations a peer pushed: each is stored only when valid for a
 * packet this relayer holds, awaiting delivery, at its destination's current
 * set (as any gathered one); the packets that got one are made due now.
 * Returns how many were stored.
 */
export async function acceptPushedAttestations(
  context: PipelineContext,
  attestations: readonly Attestation[],
): Promise<number> {
  const guids = [...new Set(attestations.map((a) => a.guid.toLowerCase() as Hex))];
  const packets = (await Promise.all(guids.map((guid) => context.store.getPacket(guid)))).filter(
    (packet): packet is PacketRecord =>
      packet !== undefined && ["verified", "attested", "delivering"].includes(packet.status),
  );
  const sets = new Map<number, VerifierSet>();
  for (const eid of new Set(packets.map((packet) => packet.dstEid))) {
    const deliverer = context.chains.deliverers.get(eid);
    if (deliverer !== undefined) sets.set(eid, await deliverer.verifierSet());
  }
  const valid: Attestation[] = [];
  for (const packet of packets) {
    const set = sets.get(packet.dstEid);
    const expectation = set === undefined ? undefined : expectationOf(context, packet, set);
    if (expectation === undefined) continue;
    for (const attestation of attestations) {
      if (attestation.guid.toLowerCase() !== packet.guid) continue;
      if (isValidAttestation(expectation.kind, attestation, expectation.expected)) {
        valid.push(attestation);
      }
    }
  }
  const stored = await storePeerAttestations(context, valid);
  await context.store.makeDue([
    ...new Set(valid.map((attestation) => attestation.guid.toLowerCase() as Hex)),
  ]);
  return stored;
}
