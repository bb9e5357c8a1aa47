//! The e-seal written in the key, drawn under its certificate on 我的证书:
//! decoded once per image (by the digest taken when it was read) and kept
//! as a texture, so a frame costs no PNG decoding and no hashing.

use eframe::egui;

use super::view::SealPng;

/// The seal as a picture at most 140 points a side; a PNG the window cannot
/// read is said in words.
pub(super) fn seal_image(ui: &mut egui::Ui, seal: &SealPng) {
    let png = seal.png.as_slice();
    let id = ui.scope_id().with(("seal", seal.sha256));
    let cached = ui.data(|d| d.get_temp::<Option<egui::TextureHandle>>(id));
    let texture = cached.unwrap_or_else(|| {
        let t = decode(png).map(|img| ui.ctx().load_texture("seal", img, Default::default()));
        ui.data_mut(|d| d.insert_temp(id, t.clone()));
        t
    });
    match texture {
        Some(t) => {
            let sized = egui::load::SizedTexture::from_handle(&t);
            ui.add(egui::Image::from_texture(sized).max_size(egui::vec2(140.0, 140.0)));
        }
        None => {
            ui.label("印章图像无法显示");
        }
    }
}

fn decode(png: &[u8]) -> Option<egui::ColorImage> {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .ok()?
        .to_rgba8();
    let size = [
        usize::try_from(img.width()).ok()?,
        usize::try_from(img.height()).ok()?,
    ];
    Some(egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw()))
}
