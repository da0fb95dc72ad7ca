//! The program's errors by code, for clients that get a bare `Custom(code)` back.

use crate::errors::BasaltError;

/// The program error with this code, if it is one of the program's own (Anchor's
/// framework errors are below 6000 and are not).
pub fn program_error(code: u32) -> Option<BasaltError> {
    BasaltError::ALL
        .iter()
        .copied()
        .find(|e| u32::from(*e) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_the_program_errors() {
        assert_eq!(BasaltError::ALL.len(), 112);
        for (i, e) in BasaltError::ALL.iter().enumerate() {
            let code = u32::from(*e);
            assert_eq!(code, 6000 + i as u32);
            assert_eq!(program_error(code).map(|e| e.name()), Some(e.name()));
        }
        assert_eq!(
            program_error(6003).map(|e| e.name()).as_deref(),
            Some("NotAdmin")
        );
        assert_eq!(
            program_error(6070).map(|e| e.name()).as_deref(),
            Some("TermsChanged")
        );
        assert!(program_error(1).is_none() && program_error(6112).is_none());
    }
}
