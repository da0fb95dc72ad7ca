// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// The stake token of a local network or a test: an ERC-20 its deployer mints (the local
/// network's faucet). A public deployment names an existing token instead.
contract BasaltTestToken is ERC20, Ownable {
    /// Base units per whole token, as the Solana stake mint's 9 decimals.
    uint8 private constant DECIMALS = 9;

    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) Ownable(msg.sender) {}

    function decimals() public pure override returns (uint8) {
        return DECIMALS;
    }

    /// Mints `amount` base units to `to`; the deployer (the faucet) only.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
