export { type ContractArtifact, contractAt, readArtifact } from "./artifacts.ts";
export { type LocalNode, startHardhatNode } from "./localNode.ts";
export {
  assertDeployConfig,
  DEV_DEFAULTS,
  type DeployConfig,
  DeployConfigError,
  type DeployProgress,
  deployLoanbridge,
  type EvmDeployment,
} from "./deploy.ts";
