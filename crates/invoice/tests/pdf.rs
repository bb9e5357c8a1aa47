//! The rendered invoice, read back with poppler: pdftotext finds the text, and
//! pdffonts shows the embedded CJK font (so no empty boxes).

use std::process::Command;

use invoice::{Fonts, InvoiceData, Line, Party, render};

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

#[test]
fn the_invoice_reads_back() {
    let fonts =
        Fonts::load(FONT, 0).expect("fonts-wqy-microhei is installed (scripts/test installs it)");
    let data = InvoiceData {
        number: "20260000000001".into(),
        date: "2026年11月24日".into(),
        buyer: Party {
            name: "合肥新名科技有限公司".into(),
            tax_id: "91110108551385082Q".into(),
        },
        seller: Party {
            name: "certhall 电子认证服务有限公司".into(),
            tax_id: "91440300708461136T".into(),
        },
        lines: vec![Line {
            name: "*信息技术服务*数字证书变更服务".into(),
            quantity: 1,
            amount_fen: 30_000,
        }],
        total_fen: 30_000,
        note: "订单号 CH20261124000001".into(),
    };
    let pdf = render(&data, &fonts).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, &pdf).unwrap();
    if let Ok(keep) = std::env::var("CERTHALL_KEEP_INVOICE") {
        std::fs::write(keep, &pdf).unwrap();
    }
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("poppler-utils is installed");
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "电子发票（普通发票）",
        "20260000000001",
        "合肥新名科技有限公司",
        "91110108551385082Q",
        "¥300.00",
        "叁佰元整",
        "数字证书变更服务",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let fonts = Command::new("pdffonts")
        .arg(path.to_str().unwrap())
        .output()
        .unwrap();
    let listing = String::from_utf8(fonts.stdout).unwrap();
    assert!(
        listing.contains("WenQuanYi") && listing.contains("yes yes yes"),
        "{listing}"
    );
    // A character the font lacks is refused rather than drawn as a box.
    let mut bad = data.clone();
    bad.buyer.name = "𠀀".into();
    assert!(render(&bad, &Fonts::load(FONT, 0).unwrap()).is_err());
}

/// A long buyer name wraps inside the buyer's half of the box instead of running
/// into the seller's.
#[test]
fn long_names_stay_in_their_box() {
    let fonts = Fonts::load(FONT, 0).unwrap();
    let name = "安徽省合肥市高新技术产业开发区某某信息技术股份有限公司第一分公司";
    let data = InvoiceData {
        number: "20260000000002".into(),
        date: "2026年11月24日".into(),
        buyer: Party {
            name: name.into(),
            tax_id: "91110108551385082Q".into(),
        },
        seller: Party {
            name: "certhall 电子认证服务有限公司".into(),
            tax_id: "91440300708461136T".into(),
        },
        lines: vec![Line {
            name: "*信息技术服务*数字证书变更服务".into(),
            quantity: 1,
            amount_fen: 30_000,
        }],
        total_fen: 30_000,
        note: String::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, render(&data, &fonts).unwrap()).unwrap();
    let out = Command::new("pdftotext")
        .args(["-bbox", path.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    let middle = 595.28 / 2.0;
    let mut drawn = String::new();
    for word in xml.lines().filter(|l| l.contains("<word")) {
        let attr = |key: &str| -> f64 {
            let at = word.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
            word[at..].split('"').next().unwrap().parse().unwrap()
        };
        let text = word.split('>').nth(1).unwrap().trim_end_matches("</word");
        // The parties' box starts below the title block and ends at the lines.
        if text.starts_with("项目名称") {
            break;
        }
        if attr("yMin") > 160.0 && attr("xMin") < middle {
            assert!(
                attr("xMax") < middle,
                "“{text}” crosses into the seller's half"
            );
            drawn.push_str(text);
        }
    }
    assert!(
        drawn.contains(name),
        "the whole name is drawn on the buyer's side: {drawn}"
    );
}
