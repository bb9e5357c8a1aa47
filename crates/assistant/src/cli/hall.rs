//! `hall`: 办事大厅, the businesses the platform offers and their prices.

use std::io::Write;

use crate::client::Client;
use crate::error::Error;

use super::args::Cli;
use super::term::io;

pub(super) fn hall(cli: &Cli, out: &mut dyn Write) -> Result<(), Error> {
    let client = Client::new(&cli.server)?;
    writeln!(out, "办事大厅").map_err(io)?;
    for b in client.businesses()? {
        let prices: Vec<String> = b
            .prices
            .iter()
            .map(|(t, p)| {
                let t = if t == "enterprise" {
                    "机构"
                } else {
                    "个人"
                };
                format!("{t} {}", p.as_str().unwrap_or_default())
            })
            .collect();
        writeln!(out, "  {}（{}）", b.name, prices.join("，")).map_err(io)?;
    }
    Ok(())
}
