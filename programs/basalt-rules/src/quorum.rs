//! k-of-n agreement on a job's revealed results.

/// The result at least `k` of `revealed` agree on, when exactly one result does, with its
/// vote count. Two results both reaching `k` (possible when `k <= n / 2`) is no agreement.
pub fn quorum<T, I>(revealed: I, k: usize) -> Option<(T, usize)>
where
    T: PartialEq + Copy,
    I: Iterator<Item = T> + Clone,
{
    let mut winner = None;
    for (i, candidate) in revealed.clone().enumerate() {
        // Count each distinct result once, at its first occurrence.
        if revealed.clone().take(i).any(|r| r == candidate) {
            continue;
        }
        let votes = revealed.clone().filter(|r| *r == candidate).count();
        if votes >= k {
            if winner.is_some() {
                return None;
            }
            winner = Some((candidate, votes));
        }
    }
    winner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_result_must_reach_k_alone() {
        assert_eq!(quorum([1, 1, 2].into_iter(), 2), Some((1, 2)));
        assert_eq!(quorum([1, 2, 3].into_iter(), 2), None);
        assert_eq!(
            quorum([1, 1, 2, 2].into_iter(), 2),
            None,
            "two results reach k"
        );
        assert_eq!(quorum([5, 5, 5].into_iter(), 2), Some((5, 3)));
        assert_eq!(quorum(core::iter::empty::<u8>(), 1), None);
    }
}
