// The `{ "remote": … }` key reference in the relayer config (config/secret.ts).
import { SigningKey } from "ethers";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../config/errors.ts";
import { parseConfig } from "../config/load.ts";

const PROGRAM_ID = "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz";
const EVM_IDENTIFIER = `0x${new SigningKey(`0x${"42".repeat(32)}`).publicKey.slice(4)}`;
const SOLANA_ADDRESS = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";

const remote = (fields: Record<string, unknown> = {}) => ({
  remote: { url: "https://signer.internal:9000", identifier: EVM_IDENTIFIER, ...fields },
});

interface Input {
  relayerId: string;
  chains: { evm: Record<string, unknown>; solana: Record<string, unknown> };
  executor?: Record<string, unknown>;
  api?: Record<string, unknown>;
}

const input = (edit: (config: Input) => void = () => undefined): Input => {
  const config: Input = {
    relayerId: "relayer-a",
    chains: {
      evm: {
        eid: 40161,
        rpcUrls: ["http://127.0.0.1:8545"],
        insecureSingleRpc: true,
        endpoint: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        signerKey: remote({ tokenEnv: "SIGNER_TOKEN" }),
      },
      solana: {
        eid: 40168,
        rpcUrls: ["http://127.0.0.1:8899"],
        insecureSingleRpc: true,
        programId: PROGRAM_ID,
        keypair: remote({ identifier: SOLANA_ADDRESS }),
      },
    },
  };
  edit(config);
  return config;
};

/** The ConfigError message for the edited config, or "ok". */
function errorOf(edit: (config: Input) => void): string {
  try {
    parseConfig(input(edit), {}, { baseDir: "/etc/loanbridge", cwd: "/srv" });
    return "ok";
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe("remote key reference", () => {
  it("parses_withTheDefaultTimeout", () => {
    const config = parseConfig(input(), {}, { baseDir: "/etc/loanbridge", cwd: "/srv" });
    expect(config.chains.evm?.signerKey).toEqual({
      remote: {
        url: "https://signer.internal:9000",
        identifier: EVM_IDENTIFIER,
        tokenEnv: "SIGNER_TOKEN",
        timeoutMs: 5_000,
      },
    });
    expect(config.chains.solana?.keypair).toEqual({
      remote: { url: "https://signer.internal:9000", identifier: SOLANA_ADDRESS, timeoutMs: 5_000 },
    });
  });

  it("badUrl_isRefused_neverRepeatingIt", () => {
    const at = (url: string) =>
      errorOf((config) => {
        config.chains.evm.signerKey = remote({ url });
      });
    expect(at("signer:9000")).toMatchInlineSnapshot(
      `"chains.evm.signerKey.remote.url: Invalid URL: expected http, https"`,
    );
    expect(at("not a url")).toMatchInlineSnapshot(`"chains.evm.signerKey.remote.url: Invalid URL"`);
    expect(at("https://user:hunter2@signer:9000")).toMatchInlineSnapshot(
      `"chains.evm.signerKey.remote.url: no credentials or query in the signer URL: give the token through "tokenEnv""`,
    );
    expect(at("https://signer:9000/?token=hunter2")).not.toContain("hunter2");
  });

  it("missingOrWrongIdentifier_isRefused", () => {
    expect(
      errorOf((config) => {
        config.chains.evm.signerKey = { remote: { url: "https://signer.internal:9000" } };
      }),
    ).toMatchInlineSnapshot(
      `"chains.evm.signerKey.remote.identifier: Invalid input: expected string, received undefined"`,
    );
    expect(
      errorOf((config) => {
        // An address is not web3signer's identifier: the public key is.
        config.chains.evm.signerKey = remote({
          identifier: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        });
      }),
    ).toMatchInlineSnapshot(
      `"chains.evm.signerKey.remote.identifier: expected the key's secp256k1 public key as the signer names it: 0x + 128 hex digits (x ‖ y, no 04 prefix)"`,
    );
    expect(
      errorOf((config) => {
        config.chains.solana.keypair = remote();
      }),
    ).toMatchInlineSnapshot(
      `"chains.solana.keypair.remote.identifier: expected the key's Solana address (base58)"`,
    );
  });

  it("badFields_areRefused", () => {
    expect(
      errorOf((config) => {
        config.chains.evm.signerKey = remote({ tokenEnv: "not a var" });
      }),
    ).toMatchInlineSnapshot(
      `"chains.evm.signerKey.remote.tokenEnv: expected an environment variable name (letters, digits, _)"`,
    );
    expect(
      errorOf((config) => {
        config.chains.evm.signerKey = remote({ timeoutMs: 10 });
      }),
    ).toMatch(/^chains\.evm\.signerKey\.remote\.timeoutMs: /);
    expect(
      errorOf((config) => {
        config.chains.evm.signerKey = remote({ token: "inline-token" });
      }),
    ).toMatch(/^chains\.evm\.signerKey\.remote: Unrecognized key: "token"/);
    expect(
      errorOf((config) => {
        config.chains.evm.signerKey = { ...remote(), file: "keys/evm.key" };
      }),
    ).toMatch(/^chains\.evm\.signerKey: Unrecognized key: "file"/);
  });

  it("whereNotSupported_isRefusedSayingWhy", () => {
    const message =
      'a remote signer is supported for the attestation keys only (chains.evm.signerKey, chains.solana.keypair): the executor signs transactions with a local key, give { "file": PATH } or { "env": VAR }';
    expect(
      errorOf((config) => {
        config.executor = { evmSenderKey: remote() };
      }),
    ).toBe(`executor.evmSenderKey.remote: ${message}`);
    expect(
      errorOf((config) => {
        config.executor = { solanaPayerKeypair: remote({ identifier: SOLANA_ADDRESS }) };
      }),
    ).toBe(`executor.solanaPayerKeypair.remote: ${message}`);
    expect(
      errorOf((config) => {
        config.api = { adminToken: remote() };
      }),
    ).toBe(`api.adminToken.remote: ${message}`);
  });
});
