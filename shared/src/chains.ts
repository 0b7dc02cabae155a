import { EndpointId as LayerZeroEndpointId } from "@layerzerolabs/lz-definitions";

/**
 * LayerZero V2 endpoint ids (EIDs) of the chains loanbridge connects, taken
 * from LayerZero's own definitions. Packets carry these as `srcEid` /
 * `dstEid`; local chains use ids from the deployment config instead.
 */
export const EndpointId = {
  EthereumMainnet: LayerZeroEndpointId.ETHEREUM_V2_MAINNET,
  SolanaMainnet: LayerZeroEndpointId.SOLANA_V2_MAINNET,
  EthereumSepolia: LayerZeroEndpointId.SEPOLIA_V2_TESTNET,
  SolanaDevnet: LayerZeroEndpointId.SOLANA_V2_TESTNET,
} as const;

export type EndpointIdName = keyof typeof EndpointId;
