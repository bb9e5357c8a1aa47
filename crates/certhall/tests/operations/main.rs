//! Running certhall: `certhall serve` and its configuration, bounded growth,
//! a full disk, duplicates at once, and bad input to the CLI and HTTP.

mod bad_input;
mod bounded_growth;
mod duplicates_at_once;
mod full_disk;
mod serve_cli;
