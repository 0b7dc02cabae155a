// Stage 4, gather: this relayer's own attestation plus the peers' (from
// their `GET /v1/attestations/:guid`), keeping only valid ones: the
// current epoch, the digest we computed ourselves, a signer in the
// destination's current set, and a signature by that signer (secp256k1
// recovery for EVM destinations, ed25519 verification for Solana).
// Valid peer attestations are stored, so a restart need not ask again.
import { type Hex, packetAttestationDigest, toBytes } from "@loanbridge/shared";
import { z } from "zod";
import { recoverSigner } from "../chains/evm/signer.ts";
import { verifyEd25519 } from "../chains/solana/signer.ts";
import type { Attestation, ChainKind } from "../chains/types.ts";
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

export interface VerifierSet {
  epoch: bigint;
  threshold: number;
  signers: readonly string[];
}

/** One peer's attestations of `guid`; errors and timeouts are reported and count as none. */
export async function fetchPeerAttestations(
  context: Pick<PipelineContext, "peerTimeoutMs" | "onError" | "fetch" | "signal">,
  peer: string,
  guid: Hex,
): Promise<Attestation[]> {
  const doFetch = context.fetch ?? fetch;
  const url = `${peer.replace(/\/+$/, "")}/v1/attestations/${guid}`;
  const timeout = AbortSignal.timeout(context.peerTimeoutMs);
  const signal =
    context.signal === undefined ? timeout : AbortSignal.any([timeout, context.signal]);
  try {
    const response = await doFetch(url, { signal });
    if (!response.ok) throw new Error(`peer ${peer} answered ${response.status}`);
    return peerAnswer.parse(await response.json()).attestations;
  } catch (error) {
    context.onError(error, `gather.peer ${peer}`, guid);
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

/** The valid attestations for `packet` at the current epoch, one per signer, ours first. */
export async function gatherAttestations(
  context: PipelineContext,
  packet: PacketRecord,
  set: VerifierSet,
): Promise<Attestation[]> {
  const kind = kindOf(context, packet.dstEid);
  const deliverer = context.chains.deliverers.get(packet.dstEid);
  if (deliverer === undefined) return [];
  const digest = packetAttestationDigest(deliverer.endpoint, set.epoch, packet.packet);
  const expected = { guid: packet.guid, digest, set };
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
    context.peers.map((peer) => fetchPeerAttestations(context, peer, packet.guid)),
  );
  for (const attestation of answers.flat()) {
    if (!keep(attestation)) continue;
    try {
      await context.store.putAttestation(attestation);
    } catch (error) {
      context.onError(error, "gather.store", packet.guid);
    }
  }
  return [...bySigner.values()];
}
