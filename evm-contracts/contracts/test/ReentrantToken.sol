// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice An ERC-20 (with configurable decimals, free mint) that, once armed, calls back into a
///         target during its next transfer, like an ERC-777 hook, and records how the call ended.
/// @dev Test-only; never deploy.
contract ReentrantToken is ERC20 {
    uint8 private immutable _decimals;

    /// @notice The contract to call during the next transfer (zero: disarmed).
    address public target;
    /// @notice The calldata to call it with.
    bytes public callData;
    /// @notice Whether the last callback succeeded.
    bool public lastCallSucceeded;
    /// @notice The revert data of the last callback (empty on success).
    bytes public lastRevertData;
    /// @notice How many callbacks ran.
    uint256 public callbacks;

    /// @param decimals_ Token decimals.
    constructor(uint8 decimals_) ERC20("Reentrant Token", "REENT") {
        _decimals = decimals_;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Creates `amount` tokens for `to`; anyone may call.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the callback for the next transfer.
    /// @param target_ The contract to call.
    /// @param callData_ The calldata.
    function arm(address target_, bytes calldata callData_) external {
        target = target_;
        callData = callData_;
    }

    /// @dev Runs the armed callback once (disarming first), then moves the tokens.
    function _update(address from, address to, uint256 value) internal override {
        address callTarget = target;
        if (callTarget != address(0) && from != address(0) && to != address(0)) {
            target = address(0);
            (bool success, bytes memory returnData) = callTarget.call(callData);
            lastCallSucceeded = success;
            lastRevertData = success ? bytes("") : returnData;
            ++callbacks;
        }
        super._update(from, to, value);
    }
}
