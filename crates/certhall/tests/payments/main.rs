//! Paying: the sandbox and paysim gateways, refused payment inputs, the invoice
//! mailed once, and a payment that outlives a crash.

mod mail_once;
mod payments;
mod payments_bad_input;
mod paysim_cli;
mod sandbox_restart;
