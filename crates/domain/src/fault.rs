//! Named points where a crash test may have the process die as `kill -9`
//! would (abort: no unwinding, no destructors, nothing flushed), chosen with
//! `CERTHALL_FAULT=<point>`. The recovery tests stop a real server exactly
//! between two steps (a mail sent and its sending recorded, say) and check
//! that the next start finishes the job once. Unset, as in production, a
//! point costs one check of a flag read once.

use std::sync::OnceLock;

/// Dies here if `CERTHALL_FAULT` names this point.
pub fn point(name: &str) {
    static CHOSEN: OnceLock<Option<String>> = OnceLock::new();
    if CHOSEN
        .get_or_init(|| {
            std::env::var("CERTHALL_FAULT")
                .ok()
                .filter(|p| !p.is_empty())
        })
        .as_deref()
        == Some(name)
    {
        eprintln!("CERTHALL_FAULT: dying at {name}");
        std::process::abort();
    }
}
