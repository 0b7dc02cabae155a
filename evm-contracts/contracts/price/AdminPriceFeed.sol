// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IAdminPriceFeed} from "../interfaces/IAdminPriceFeed.sol";
import {IPriceFeed} from "../interfaces/IPriceFeed.sol";

/// @title AdminPriceFeed
/// @notice Prices set by the owner, each stamped with the block time it was set at.
contract AdminPriceFeed is IAdminPriceFeed, Ownable2Step {
    /// @dev A price and its timestamp, in one slot.
    struct Entry {
        uint192 price;
        uint64 updatedAt;
    }

    mapping(bytes32 asset => Entry) private _entries;

    /// @param initialOwner The account allowed to set prices.
    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @inheritdoc IPriceFeed
    function price(bytes32 asset) external view returns (uint256, uint256) {
        Entry memory entry = _entries[asset];
        return (entry.price, entry.updatedAt);
    }

    /// @inheritdoc IAdminPriceFeed
    /// @dev Reverts `SafeCastOverflowedUintDowncast` for a price above 2^192 - 1, far above any
    ///      real price in this unit.
    function setPrice(bytes32 asset, uint256 newPrice) external onlyOwner {
        if (newPrice == 0) {
            delete _entries[asset];
            emit PriceSet(asset, 0, block.timestamp);
            return;
        }
        _entries[asset] = Entry({price: SafeCast.toUint192(newPrice), updatedAt: uint64(block.timestamp)});
        emit PriceSet(asset, newPrice, block.timestamp);
    }

    /// @notice Disabled: reverts `AdminPriceFeedRenounceDisabled` for the owner
    ///         (`OwnableUnauthorizedAccount` for anyone else), so the feed always has an owner.
    /// @dev Renouncing would stop all price updates, so every price would go stale for good.
    ///      Hand ownership over with `transferOwnership` and `acceptOwnership` instead.
    ///      `view` because it changes nothing (the compiler asks for it).
    function renounceOwnership() public view override onlyOwner {
        revert AdminPriceFeedRenounceDisabled();
    }
}
