// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BasaltRules} from "./generated/BasaltRules.sol";
import "./Errors.sol";

/// `basalt_rules` checks more than one contract makes: a new grant (blobs, datasets), a
/// dataset name and a version tag (datasets, jobs asking for a publication). Internal, so
/// each contract carries its own copy of the code and no library is deployed.
library BasaltChecks {
    /// `basalt_rules::NewGrant::check` at the block's time; `expiresAt` 0 is never.
    ///
    /// # Errors
    ///
    /// `InvalidGrantRoles`, `WrappedKeyTooLong`, `InvalidGrantExpiry`.
    function checkNewGrant(uint8 roles, uint256 wrappedKeyLen, uint64 expiresAt) internal view {
        if (roles == 0 || roles & ~BasaltRules.ROLE_ADMIN != 0) revert InvalidGrantRoles();
        if (wrappedKeyLen > BasaltRules.MAX_WRAPPED_KEY_LEN) revert WrappedKeyTooLong();
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert InvalidGrantExpiry();
    }

    /// `basalt_rules::check_dataset_name`.
    ///
    /// # Errors
    ///
    /// `InvalidDatasetName`.
    function checkDatasetName(string memory name) internal pure {
        if (!isLabel(bytes(name), BasaltRules.MAX_DATASET_NAME_LEN)) revert InvalidDatasetName();
    }

    /// `basalt_rules::check_version_tag`.
    ///
    /// # Errors
    ///
    /// `InvalidVersionTag`.
    function checkVersionTag(string memory tag) internal pure {
        if (!isLabel(bytes(tag), BasaltRules.MAX_VERSION_TAG_LEN)) revert InvalidVersionTag();
    }

    /// 1 to `max` bytes of ASCII letters, digits, `.`, `_` and `-`, starting with a letter
    /// or digit (`basalt_rules`'s `is_label`).
    function isLabel(bytes memory s, uint256 max) internal pure returns (bool) {
        if (s.length == 0 || s.length > max || !_alphanumeric(s[0])) return false;
        for (uint256 i = 0; i < s.length; i++) {
            bytes1 c = s[i];
            if (!_alphanumeric(c) && c != "." && c != "_" && c != "-") return false;
        }
        return true;
    }

    function _alphanumeric(bytes1 c) private pure returns (bool) {
        return (c >= "0" && c <= "9") || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
    }
}
