// Solana addresses that exist on every cluster and can never be the
// loanbridge program. Copying one of them into `chains.solana.programId` (the
// upgradeable loader is what `solana program show` prints first) passes a
// base58 check, yet the relayer would then watch accounts no one writes and
// sign nothing: the config refuses them by name.

/** Address → what it is, for the config's error message. */
export const SOLANA_BUILTIN_ADDRESSES: ReadonlyMap<string, string> = new Map([
  ["11111111111111111111111111111111", "the System Program"],
  ["BPFLoader1111111111111111111111111111111111", "the BPF loader (v1)"],
  ["BPFLoader2111111111111111111111111111111111", "the BPF loader (v2)"],
  ["BPFLoaderUpgradeab1e11111111111111111111111", "the upgradeable BPF loader"],
  ["LoaderV411111111111111111111111111111111111", "the v4 loader"],
  ["NativeLoader1111111111111111111111111111111", "the native loader"],
  ["TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "the SPL Token program"],
  ["TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb", "the Token-2022 program"],
  ["ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL", "the Associated Token Account program"],
  ["So11111111111111111111111111111111111111112", "the wrapped SOL mint"],
  ["ComputeBudget111111111111111111111111111111", "the Compute Budget program"],
  ["Ed25519SigVerify111111111111111111111111111", "the Ed25519 signature precompile"],
  ["KeccakSecp256k11111111111111111111111111111", "the secp256k1 signature precompile"],
  ["AddressLookupTab1e1111111111111111111111111", "the Address Lookup Table program"],
  ["MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", "the Memo program"],
  ["Vote111111111111111111111111111111111111111", "the Vote program"],
  ["Stake11111111111111111111111111111111111111", "the Stake program"],
  ["Sysvar1111111111111111111111111111111111111", "the sysvar owner"],
  ["SysvarC1ock11111111111111111111111111111111", "the Clock sysvar"],
  ["SysvarRent111111111111111111111111111111111", "the Rent sysvar"],
  ["Sysvar1nstructions1111111111111111111111111", "the Instructions sysvar"],
  ["SysvarRecentB1ockHashes11111111111111111111", "the RecentBlockhashes sysvar"],
  ["SysvarEpochSchedu1e111111111111111111111111", "the EpochSchedule sysvar"],
  ["SysvarS1otHashes111111111111111111111111111", "the SlotHashes sysvar"],
  ["SysvarStakeHistory1111111111111111111111111", "the StakeHistory sysvar"],
]);
