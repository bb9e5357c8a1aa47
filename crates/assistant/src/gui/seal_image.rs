//! The e-seal written in the key, drawn under its certificate on 我的证书:
//! decoded once per image (by its digest) and kept as a texture, so a frame
//! costs no PNG decoding.

use eframe::egui;
use sha2::{Digest, Sha256};

/// The seal as a picture at most 140 points a side; a PNG the window cannot
/// read is said in words.
pub(super) fn seal_image(ui: &mut egui::Ui, png: &[u8]) {
    let id = ui.scope_id().with(("seal", Sha256::digest(png).to_vec()));
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
