//! The back office (/admin): staff sign-in, review, four eyes, revocation,
//! finance, products and the audit page.

mod desk;
