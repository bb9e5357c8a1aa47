//! E-invoices: the amount in Chinese capitals (大写) and the invoice as a one-page
//! A4 PDF. The font must cover CJK and Latin (Debian `fonts-wqy-microhei` does);
//! every character drawn is checked against it, so a missing glyph is an error,
//! never an empty box in the PDF.

mod capitals;
mod pdf;

pub use capitals::capitals;
pub use pdf::{Fonts, InvoiceData, Line, Party, render};

#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    #[error("cannot read the invoice font {path}: {source}")]
    FontFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is not a usable font (wrong file or collection index)")]
    Font(String),
    #[error("the invoice font has no glyph for “{0}”")]
    MissingGlyph(char),
    #[error("PDF generation failed: {0}")]
    Pdf(String),
}
