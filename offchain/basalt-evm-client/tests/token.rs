//! The test stake token: the deployer mints, anyone transfers what they hold, and the
//! refusals are OpenZeppelin's custom errors.

use alloy::primitives::{address, Address, U256};
use alloy::sol_types::{SolConstructor, SolEvent};
use anyhow::Result;
use basalt_evm_client::BasaltTestToken;
use basalt_evm_client::BasaltTestToken::BasaltTestTokenErrors;

use basalt_evm_client::in_process::Evm;

const FAUCET: Address = address!("00000000000000000000000000000000000fa0ce");
const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
const BOB: Address = address!("0000000000000000000000000000000000000b0b");

fn deploy(evm: &mut Evm) -> Result<Address> {
    let args = BasaltTestToken::constructorCall {
        name_: "Basalt stake".into(),
        symbol_: "BSLT".into(),
    };
    evm.deploy(FAUCET, &BasaltTestToken::BYTECODE, &args.abi_encode())
}

fn balance(evm: &mut Evm, token: Address, account: Address) -> Result<U256> {
    Ok(evm
        .ok(ALICE, token, &BasaltTestToken::balanceOfCall { account })?
        .0)
}

#[test]
fn the_faucet_mints_and_holders_transfer() -> Result<()> {
    let mut evm = Evm::new();
    let token = deploy(&mut evm)?;
    assert_eq!(
        evm.ok(ALICE, token, &BasaltTestToken::decimalsCall {})?.0,
        9
    );
    evm.ok(
        FAUCET,
        token,
        &BasaltTestToken::mintCall {
            to: ALICE,
            amount: U256::from(1_000),
        },
    )?;
    let (_, logs) = evm.ok(
        ALICE,
        token,
        &BasaltTestToken::transferCall {
            to: BOB,
            value: U256::from(300),
        },
    )?;
    let sent = BasaltTestToken::Transfer::decode_log(&logs[0])?;
    assert_eq!(
        (sent.from, sent.to, sent.value),
        (ALICE, BOB, U256::from(300))
    );
    assert_eq!(balance(&mut evm, token, BOB)?, U256::from(300));
    assert_eq!(balance(&mut evm, token, ALICE)?, U256::from(700));
    Ok(())
}

#[test]
fn only_the_faucet_mints_and_no_one_spends_more_than_they_hold() -> Result<()> {
    let mut evm = Evm::new();
    let token = deploy(&mut evm)?;
    let refused: BasaltTestTokenErrors = evm.reverts(
        ALICE,
        token,
        &BasaltTestToken::mintCall {
            to: ALICE,
            amount: U256::from(1),
        },
    )?;
    assert!(
        matches!(refused, BasaltTestTokenErrors::OwnableUnauthorizedAccount(ref e) if e.account == ALICE),
        "{refused:?}"
    );
    evm.ok(
        FAUCET,
        token,
        &BasaltTestToken::mintCall {
            to: ALICE,
            amount: U256::from(10),
        },
    )?;
    let refused: BasaltTestTokenErrors = evm.reverts(
        ALICE,
        token,
        &BasaltTestToken::transferCall {
            to: BOB,
            value: U256::from(11),
        },
    )?;
    assert!(
        matches!(refused, BasaltTestTokenErrors::ERC20InsufficientBalance(ref e) if e.balance == U256::from(10) && e.needed == U256::from(11)),
        "{refused:?}"
    );
    assert_eq!(balance(&mut evm, token, BOB)?, U256::ZERO);
    Ok(())
}
