//! Token movements in and out of the program's vaults. Every vault is a token account of the
//! config's stake mint whose authority is the Config PDA, so only this program can move
//! tokens out of it.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::seeds;
use crate::state::Config;

/// Moves `amount` from a user's token account into a vault, signed by the user.
///
/// # Errors
///
/// The token program's error (for example insufficient funds).
pub fn deposit<'info>(
    token_program: &Program<'info, Token>,
    from: &Account<'info, TokenAccount>,
    vault: &Account<'info, TokenAccount>,
    owner: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    token::transfer(
        CpiContext::new(
            token_program.key(),
            Transfer {
                from: from.to_account_info(),
                to: vault.to_account_info(),
                authority: owner.to_account_info(),
            },
        ),
        amount,
    )
}

/// Moves `amount` out of a vault, signed by the Config PDA. Zero is a no-op.
///
/// # Errors
///
/// The token program's error (a vault never holds less than the program's books say).
pub fn pay_out<'info>(
    token_program: &Program<'info, Token>,
    vault: &Account<'info, TokenAccount>,
    to: &AccountInfo<'info>,
    config: &Account<'info, Config>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let bump = [config.bump];
    let signer: &[&[&[u8]]] = &[&[seeds::CONFIG, &bump]];
    token::transfer(
        CpiContext::new_with_signer(
            token_program.key(),
            Transfer {
                from: vault.to_account_info(),
                to: to.clone(),
                authority: config.to_account_info(),
            },
            signer,
        ),
        amount,
    )
}
