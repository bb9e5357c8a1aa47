//! The certificate assistant: its JSON API and its binary against a SoftHSM2 token.

mod assistant_api;
mod assistant_token;
