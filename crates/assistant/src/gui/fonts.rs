//! The CJK font, so Chinese is drawn, not boxes.

use std::sync::Arc;

use eframe::egui;

/// Fonts tried in order for Chinese text (Debian's WenQuanYi and Droid).
pub const CJK_FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// Adds a CJK font after egui's Latin one, so Chinese is drawn, not boxes.
pub fn install_cjk_font(ctx: &egui::Context, bytes: Vec<u8>) {
    let mut fonts = egui::FontDefinitions::default();
    fonts
        .font_data
        .insert("cjk".into(), Arc::new(egui::FontData::from_owned(bytes)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
}

/// The first CJK font found on this machine.
pub fn cjk_font() -> Option<Vec<u8>> {
    CJK_FONTS.iter().find_map(|p| std::fs::read(p).ok())
}
