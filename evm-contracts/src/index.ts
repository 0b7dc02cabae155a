export { type ContractArtifact, readArtifact } from "./artifacts.ts";
export { type LocalNode, startHardhatNode } from "./localNode.ts";
