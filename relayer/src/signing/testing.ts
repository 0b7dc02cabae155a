// A local stand-in for a remote signer, for tests: a real HTTP server
// (node:http) holding real keys, speaking http.ts's protocol as web3signer
// does (eth1 signs keccak256(data), answers text/plain r ‖ s ‖ v) plus our
// ed25519 scheme. Faults are switched on per test: another key's signature,
// an HTTP status, a delay.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Hex, toBytes, toHex } from "@loanbridge/shared";
import { id, keccak256, SigningKey } from "ethers";
import { localEd25519Key, publicKeyBytes } from "../chains/solana/signer.ts";
import type { Ed25519MessageSigner } from "./types.ts";

export type StandInFault =
  | { kind: "none" }
  /** Signs with a key it does not list. */
  | { kind: "wrongKey" }
  /** Answers every request but /upcheck with this status. */
  | { kind: "status"; status: number }
  /** Waits this long before answering a sign request. */
  | { kind: "delay"; ms: number }
  /** Answers sign requests with this body. */
  | { kind: "body"; body: string };

export interface StandInRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export interface StandInSigner {
  url: string;
  /** web3signer's identifier of each EVM key: 0x + x ‖ y. */
  evmIdentifiers: string[];
  /** The base58 address of each ed25519 key. */
  ed25519Addresses: string[];
  /** Every request received, in order. */
  readonly requests: StandInRequest[];
  fault: StandInFault;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** secp256k1 private keys. */
  evmKeys?: readonly Hex[];
  /** ed25519 seeds (32 bytes) or keypairs (64). */
  ed25519Keys?: readonly Uint8Array[];
  /** When set, every request but /upcheck needs `Authorization: Bearer <token>`. */
  token?: string;
}

const OTHER_EVM = new SigningKey(id("stand-in signer: a key it does not list"));
const OTHER_ED25519 = localEd25519Key(
  toBytes(id("stand-in signer: an ed25519 key it does not list") as Hex),
);

export async function startStandInSigner(options: StandInOptions): Promise<StandInSigner> {
  const evm = new Map<string, SigningKey>(
    (options.evmKeys ?? []).map((key) => {
      const signingKey = new SigningKey(key);
      return [`0x${signingKey.publicKey.slice(4)}`, signingKey];
    }),
  );
  const ed25519 = new Map<string, Ed25519MessageSigner>(
    (options.ed25519Keys ?? []).map((key) => {
      const signer = localEd25519Key(key);
      return [toHex(publicKeyBytes(signer.publicKey)), signer] as const;
    }),
  );
  const state: StandInSigner = {
    url: "",
    evmIdentifiers: [...evm.keys()],
    ed25519Addresses: [...ed25519.values()].map((signer) => signer.publicKey),
    requests: [],
    fault: { kind: "none" },
    close: () => Promise.resolve(),
  };

  const sign = async (
    scheme: string,
    identifier: string,
    data: Uint8Array,
  ): Promise<Hex | undefined> => {
    const wrong = state.fault.kind === "wrongKey";
    if (scheme === "eth1") {
      const key = evm.get(identifier);
      if (key === undefined) return undefined;
      return (wrong ? OTHER_EVM : key).sign(keccak256(data)).serialized as Hex;
    }
    const key = ed25519.get(identifier);
    if (key === undefined) return undefined;
    return toHex(await (wrong ? OTHER_ED25519 : key).sign(data));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const path = request.url ?? "/";
    state.requests.push({
      method: request.method ?? "",
      path,
      authorization: request.headers.authorization,
      body,
    });
    const reply = (status: number, text: string, type = "text/plain; charset=utf-8") => {
      response.writeHead(status, { "content-type": type }).end(text);
    };
    if (request.method === "GET" && path === "/upcheck") {
      reply(200, "OK");
      return;
    }
    if (
      options.token !== undefined &&
      request.headers.authorization !== `Bearer ${options.token}`
    ) {
      reply(401, "Unauthorized");
      return;
    }
    const fault = state.fault;
    if (fault.kind === "status") {
      reply(fault.status, "stand-in fault");
      return;
    }
    const keys = /^\/api\/v1\/(eth1|ed25519)\/publicKeys$/.exec(path);
    if (request.method === "GET" && keys !== null) {
      const list = keys[1] === "eth1" ? [...evm.keys()] : [...ed25519.keys()];
      reply(200, JSON.stringify(list), "application/json");
      return;
    }
    const signing = /^\/api\/v1\/(eth1|ed25519)\/sign\/(0x[0-9a-fA-F]+)$/.exec(path);
    if (request.method !== "POST" || signing === null) {
      reply(404, "Not Found");
      return;
    }
    let data: Uint8Array;
    try {
      data = toBytes((JSON.parse(body) as { data: Hex }).data);
    } catch {
      reply(400, "Bad Request");
      return;
    }
    const signature = await sign(signing[1] ?? "", (signing[2] ?? "").toLowerCase(), data);
    if (signature === undefined) {
      reply(404, "Not Found");
      return;
    }
    if (fault.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault.kind === "body") {
      reply(200, fault.body);
      return;
    }
    reply(200, signature);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => {
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        resolve();
      });
    });
  return state;
}
