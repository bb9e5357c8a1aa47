//! 签章变更: what an e-seal image must be. A seal is stamped over documents, so
//! it must be a PNG with transparency (an alpha channel, or a tRNS chunk), small
//! enough to live in a USB key, and of a size a signing tool can place.

use crate::Msg;

/// The largest seal file accepted (it is written into the holder's key).
pub const MAX_BYTES: usize = 256 * 1024;
/// Each side, in pixels.
pub const MIN_SIDE: u32 = 120;
pub const MAX_SIDE: u32 = 1024;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// A seal image that passed the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealImage {
    pub width: u32,
    pub height: u32,
}

/// Checks `bytes` as a seal image; the message says what is wrong.
pub fn check(bytes: &[u8]) -> Result<SealImage, Msg> {
    if bytes.len() > MAX_BYTES {
        return Err(Msg::new("电子印章图片不能超过 {max} KB").arg("max", MAX_BYTES / 1024));
    }
    let not_png = || Msg::new("电子印章图片须为 PNG 格式");
    if bytes.len() < 33 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return Err(not_png());
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (width, height) = (be(16), be(20));
    let color_type = bytes[25];
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(Msg::new(
            "电子印章图片尺寸应在 {min}×{min} 至 {max}×{max} 像素之间（当前 {w}×{h}）",
        )
        .arg("min", MIN_SIDE)
        .arg("max", MAX_SIDE)
        .arg("w", width)
        .arg("h", height));
    }
    // Colour types 4 (grey + alpha) and 6 (RGBA) carry alpha; the others may
    // have a tRNS chunk before the image data.
    let mut transparent = matches!(color_type, 4 | 6);
    let mut at = 8;
    while !transparent && at + 8 <= bytes.len() {
        let len = be(at) as usize;
        let kind = &bytes[at + 4..at + 8];
        if kind == b"tRNS" {
            transparent = true;
        }
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        at = at.saturating_add(12).saturating_add(len);
    }
    if !transparent {
        return Err(Msg::new("电子印章图片须为透明背景（带透明通道的 PNG）"));
    }
    Ok(SealImage { width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG header (no image data needed for the checks).
    fn png(width: u32, height: u32, color_type: u8, extra: &[u8]) -> Vec<u8> {
        let mut v = SIGNATURE.to_vec();
        v.extend_from_slice(&13u32.to_be_bytes());
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&width.to_be_bytes());
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&[8, color_type, 0, 0, 0]);
        v.extend_from_slice(&[0; 4]); // CRC, not checked
        v.extend_from_slice(extra);
        v.extend_from_slice(&0u32.to_be_bytes());
        v.extend_from_slice(b"IEND");
        v.extend_from_slice(&[0; 4]);
        v
    }

    #[test]
    fn transparent_pngs_of_a_placeable_size() {
        assert_eq!(
            check(&png(300, 300, 6, &[])),
            Ok(SealImage {
                width: 300,
                height: 300
            })
        );
        let trns = [0, 0, 0, 2, b't', b'R', b'N', b'S', 0, 0, 0, 0, 0, 0];
        assert!(check(&png(120, 1024, 2, &trns)).is_ok());
        assert!(check(&png(200, 200, 4, &[])).is_ok());
    }

    #[test]
    fn everything_else_is_refused_with_its_reason() {
        let msg = |b: &[u8]| check(b).unwrap_err().to_string();
        assert_eq!(
            msg(b"%PDF-1.4 not an image at all....."),
            "电子印章图片须为 PNG 格式"
        );
        assert_eq!(
            msg(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
            "电子印章图片须为 PNG 格式"
        );
        assert_eq!(
            msg(&png(300, 300, 2, &[])),
            "电子印章图片须为透明背景（带透明通道的 PNG）"
        );
        assert_eq!(
            msg(&png(100, 300, 6, &[])),
            "电子印章图片尺寸应在 120×120 至 1024×1024 像素之间（当前 100×300）"
        );
        assert_eq!(
            msg(&png(300, 2000, 6, &[])),
            "电子印章图片尺寸应在 120×120 至 1024×1024 像素之间（当前 300×2000）"
        );
        let mut big = png(300, 300, 6, &[]);
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(msg(&big), "电子印章图片不能超过 256 KB");
    }
}
