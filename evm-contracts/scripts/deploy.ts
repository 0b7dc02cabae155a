// Deploys loanbridge's EVM contracts to a running node and writes the
// deployments file the relayer reads.
//
//   node evm-contracts/scripts/deploy.ts --verifiers 0xA,0xB,0xC --threshold 2 \
//     [--rpc http://127.0.0.1:8545] [--out evm-contracts/deployments/localhost.json]
//     [--local-eid 40161] [--remote-eid 40168] [--remote-vault 0x…] [--remote-pool 0x…]
//     [--remote-beneficiary 0x…] [--stablecoin 0x…] [--guardian 0x…]
//     [--deployer-key-env NAME]
//
// The deployer is the node's first unlocked account (dev nodes), or the
// private key in the environment variable named by --deployer-key-env; the
// key itself is never printed.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { JsonRpcProvider, type Signer, Wallet } from "ethers";
import {
  assertDeployConfig,
  DEV_DEFAULTS,
  type DeployConfig,
  deployLoanbridge,
} from "../src/deploy.ts";

const { values } = parseArgs({
  options: {
    rpc: { type: "string", default: "http://127.0.0.1:8545" },
    out: { type: "string", default: "evm-contracts/deployments/localhost.json" },
    "local-eid": { type: "string", default: "40161" },
    "remote-eid": { type: "string", default: "40168" },
    verifiers: { type: "string" },
    threshold: { type: "string" },
    "remote-vault": { type: "string" },
    "remote-pool": { type: "string" },
    "remote-beneficiary": { type: "string" },
    stablecoin: { type: "string" },
    guardian: { type: "string" },
    "deployer-key-env": { type: "string" },
  },
  strict: true,
});

function fail(message: string): never {
  console.error(`deploy: ${message}`);
  process.exit(2);
}

const integer = (name: string, text: string | undefined): number => {
  if (text === undefined || !/^\d+$/.test(text)) fail(`--${name} must be a whole number`);
  return Number(text);
};

if (values.verifiers === undefined) fail("--verifiers is required (comma-separated addresses)");
const config: DeployConfig = {
  localEid: integer("local-eid", values["local-eid"]),
  remoteEid: integer("remote-eid", values["remote-eid"]),
  verifiers: values.verifiers.split(",").map((address) => address.trim()),
  threshold: integer("threshold", values.threshold),
  ...DEV_DEFAULTS,
  ...(values["remote-vault"] && { remoteVault: values["remote-vault"] }),
  ...(values["remote-pool"] && { remotePool: values["remote-pool"] }),
  ...(values["remote-beneficiary"] && { remoteBeneficiary: values["remote-beneficiary"] }),
  ...(values.stablecoin && { stablecoin: values.stablecoin }),
  ...(values.guardian && { guardian: values.guardian }),
};

try {
  assertDeployConfig(config);
} catch (error) {
  fail((error as Error).message);
}

const provider = new JsonRpcProvider(values.rpc, undefined, { staticNetwork: true });
try {
  await provider.getBlockNumber();
} catch (cause) {
  fail(`no JSON-RPC node answers at ${values.rpc}: ${(cause as Error).message}`);
}

let deployer: Signer;
const keyEnv = values["deployer-key-env"];
if (keyEnv !== undefined) {
  const key = process.env[keyEnv];
  if (!key) fail(`environment variable ${keyEnv} is empty`);
  deployer = new Wallet(key, provider);
} else {
  deployer = await provider.getSigner(0);
}

const started = performance.now();
try {
  const deployment = await deployLoanbridge(deployer, config, (step, detail) => {
    console.log(`- ${step}: ${detail}`);
  });
  const out = resolve(values.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(deployment, null, 2)}\n`);
  console.log(`wrote ${out} (${Math.round(performance.now() - started)} ms)`);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
} finally {
  provider.destroy();
}
