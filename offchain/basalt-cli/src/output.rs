//! Printing: human text, or one JSON document with `--json`; progress bars on stderr.
//!
//! Commands that run the chain in this process move stdout aside (the natively hosted
//! program prints its logs there) and print to the console handle set with [`set_console`].

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

static CONSOLE: OnceLock<Mutex<std::fs::File>> = OnceLock::new();

/// Makes [`print`] write to `console` instead of stdout.
pub fn set_console(console: std::fs::File) {
    let _ = CONSOLE.set(Mutex::new(console));
}

/// Prints `value` as JSON, or `human` as text.
pub fn print(json: bool, value: &Value, human: impl FnOnce() -> String) {
    let text = if json { value.to_string() } else { human() };
    match CONSOLE.get() {
        Some(console) => {
            let mut console = console.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(console, "{text}");
        }
        None => println!("{text}"),
    }
}

/// A byte progress bar on stderr (hidden with `--json` or when stderr is not a terminal).
pub fn bytes_bar(json: bool, total: u64, what: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// MB/s (10^6 bytes per second) of `bytes` over `elapsed`.
pub fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)
}
