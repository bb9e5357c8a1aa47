//! `[invoice]`: the seller on 电子发票 and the font they are drawn with.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvoiceConfig {
    /// 销售方 on invoices. Default: branding.operator.
    pub seller_name: Option<String>,
    /// 销售方纳税人识别号.
    pub seller_tax_id: String,
    /// A font with CJK and Latin glyphs. Default: WenQuanYi Micro Hei.
    pub font: PathBuf,
    /// Face index in a font collection.
    pub font_index: u32,
}

impl Default for InvoiceConfig {
    fn default() -> Self {
        InvoiceConfig {
            seller_name: None,
            seller_tax_id: "91340100000000000X".into(),
            font: PathBuf::from("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
            font_index: 0,
        }
    }
}
