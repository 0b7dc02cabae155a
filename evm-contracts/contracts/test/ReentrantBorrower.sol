// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";

/// @title ReentrantBorrower
/// @notice A borrower contract that, when it receives ETH, accepts it, re-enters the vault with
///         armed calldata (recording how the call ended), refuses it, or burns all its gas.
/// @dev Test-only; never deploy.
contract ReentrantBorrower {
    /// @notice What `receive` does.
    enum Mode {
        Accept,
        Reenter,
        Refuse,
        BurnGas
    }

    /// @notice Thrown by `receive` in `Refuse` mode.
    error Refused();

    /// @notice The vault it borrows from.
    ICollateralVault public immutable vault;
    /// @notice What `receive` does.
    Mode public mode;
    /// @notice The calldata `receive` sends to the vault in `Reenter` mode.
    bytes public reenterData;
    /// @notice The 4-byte selector of the last re-entry's revert (zero when it succeeded).
    bytes4 public lastRevertSelector;
    /// @notice How many re-entries were attempted.
    uint256 public reentries;

    /// @param vault_ The vault.
    constructor(ICollateralVault vault_) {
        vault = vault_;
    }

    /// @notice Sets what `receive` does.
    /// @param mode_ The mode.
    /// @param reenterData_ Calldata for `Reenter` mode.
    function setMode(Mode mode_, bytes calldata reenterData_) external {
        mode = mode_;
        reenterData = reenterData_;
    }

    /// @notice Opens an ETH-collateralised bullet loan (one installment) as the borrower.
    /// @param principal Principal requested.
    /// @param maxRateBps Highest rate accepted.
    /// @param termSeconds Term.
    /// @param recipient Recipient on the lending chain.
    /// @return loanId The loan.
    function openNative(uint128 principal, uint32 maxRateBps, uint64 termSeconds, bytes32 recipient)
        external
        payable
        returns (bytes32 loanId)
    {
        return vault.open{value: msg.value}(
            address(0), uint128(msg.value), principal, maxRateBps, termSeconds, 1, recipient
        );
    }

    /// @notice Claims deferred ETH from the vault.
    /// @return The amount claimed.
    function claim() external returns (uint256) {
        return vault.claim();
    }

    receive() external payable {
        if (mode == Mode.Refuse) revert Refused();
        if (mode == Mode.Reenter) {
            ++reentries;
            (bool success, bytes memory returnData) = address(vault).call(reenterData);
            lastRevertSelector = success || returnData.length < 4 ? bytes4(0) : bytes4(returnData);
        }
        if (mode == Mode.BurnGas) {
            // Spins until the call runs out of gas.
            while (true) {
                ++reentries;
            }
        }
    }
}
