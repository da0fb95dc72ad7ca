//! Whether a provider is up, from how long ago its node last sent a heartbeat: the rule
//! the indexer, the CLI and the SDK's placement all apply, so they agree on who is
//! `online`.

use serde::{Deserialize, Serialize};

/// A provider's liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liveness {
    /// Heartbeats arrive.
    Online,
    /// Silent past the warning threshold: it gets no new shards.
    Warning,
    /// Silent past the offline threshold (or never heard from): its shards are repaired.
    Offline,
}

impl Liveness {
    /// The state's name, as the API and the CLI print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Warning => "warning",
            Self::Offline => "offline",
        }
    }
}

/// After how long without a heartbeat a provider is `warning`, then `offline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivenessThresholds {
    pub warning_secs: u64,
    // INV: offline_secs >= warning_secs
    pub offline_secs: u64,
}

impl Default for LivenessThresholds {
    /// A minute to `warning`, five to `offline`: a node heartbeats every 20 s by default,
    /// so `warning` means three missed in a row.
    fn default() -> Self {
        Self {
            warning_secs: 60,
            offline_secs: 300,
        }
    }
}

impl LivenessThresholds {
    /// The liveness of a provider last heard from `silent_secs` ago (`None`: never).
    pub fn classify(&self, silent_secs: Option<u64>) -> Liveness {
        match silent_secs {
            Some(s) if s <= self.warning_secs => Liveness::Online,
            Some(s) if s <= self.offline_secs => Liveness::Warning,
            _ => Liveness::Offline,
        }
    }

    /// Checks the invariant.
    ///
    /// # Errors
    ///
    /// When `offline_secs < warning_secs`.
    pub fn check(&self) -> Result<(), String> {
        if self.offline_secs < self.warning_secs {
            return Err(format!(
                "the offline threshold ({} s) is below the warning threshold ({} s)",
                self.offline_secs, self.warning_secs
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_turns_online_into_warning_then_offline() {
        let t = LivenessThresholds::default();
        assert_eq!(t.classify(Some(0)), Liveness::Online);
        assert_eq!(t.classify(Some(60)), Liveness::Online);
        assert_eq!(t.classify(Some(61)), Liveness::Warning);
        assert_eq!(t.classify(Some(300)), Liveness::Warning);
        assert_eq!(t.classify(Some(301)), Liveness::Offline);
        assert_eq!(t.classify(None), Liveness::Offline, "never heard from");
        assert!(LivenessThresholds {
            warning_secs: 10,
            offline_secs: 5
        }
        .check()
        .is_err());
        assert_eq!(Liveness::Warning.as_str(), "warning");
    }
}
