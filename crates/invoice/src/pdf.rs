//! The invoice page: one A4 page, the layout of a Chinese e-invoice (普通发票):
//! title, number and date; buyer and seller; the lines; the total in figures and
//! in capitals.

use std::sync::Arc;

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};

use crate::{InvoiceError, capitals};

/// The font, loaded once; every invoice shares it.
#[derive(Clone)]
pub struct Fonts {
    font: Font,
    bytes: Arc<Vec<u8>>,
    index: u32,
}

impl Fonts {
    /// `path` of a TrueType font or collection, and the face index in it.
    pub fn load(path: &str, index: u32) -> Result<Fonts, InvoiceError> {
        let bytes = Arc::new(
            std::fs::read(path).map_err(|source| InvoiceError::FontFile {
                path: path.into(),
                source,
            })?,
        );
        let font = Font::new(bytes.clone().into(), index)
            .ok_or_else(|| InvoiceError::Font(path.into()))?;
        Ok(Fonts { font, bytes, index })
    }

    fn face(&self) -> Result<rustybuzz::Face<'_>, InvoiceError> {
        rustybuzz::Face::from_slice(&self.bytes, self.index)
            .ok_or_else(|| InvoiceError::Font("face".into()))
    }

    /// Every character has a glyph (no empty boxes in the PDF).
    fn check(&self, text: &str) -> Result<(), InvoiceError> {
        let face = self.face()?;
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            if face.glyph_index(c).is_none() {
                return Err(InvoiceError::MissingGlyph(c));
            }
        }
        Ok(())
    }

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = self.face() else { return 0.0 };
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(text);
        let adv: i32 = rustybuzz::shape(&face, &[], buf)
            .glyph_positions()
            .iter()
            .map(|p| p.x_advance)
            .sum();
        adv as f32 / face.units_per_em() as f32 * size
    }
}

#[derive(Debug, Clone)]
pub struct Party {
    pub name: String,
    /// 纳税人识别号; empty for an individual buyer.
    pub tax_id: String,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub quantity: u32,
    pub amount_fen: i64,
}

#[derive(Debug, Clone)]
pub struct InvoiceData {
    pub number: String,
    /// 开票日期, e.g. 2026年11月24日.
    pub date: String,
    pub buyer: Party,
    pub seller: Party,
    pub lines: Vec<Line>,
    pub total_fen: i64,
    /// 备注, e.g. the order and application numbers.
    pub note: String,
}

fn money(fen: i64) -> String {
    format!("¥{}", domain::Fen(fen).yuan_string())
}

struct Writer<'a> {
    fonts: &'a Fonts,
    texts: Vec<(f32, f32, f32, String)>,
    lines: Vec<(f32, f32, f32, f32)>,
}

impl Writer<'_> {
    fn text(&mut self, x: f32, y: f32, size: f32, s: impl Into<String>) {
        self.texts.push((x, y, size, s.into()));
    }

    fn right(&mut self, x_right: f32, y: f32, size: f32, s: impl Into<String>) {
        let s = s.into();
        let w = self.fonts.width(&s, size);
        self.texts.push((x_right - w, y, size, s));
    }

    fn centre(&mut self, x_centre: f32, y: f32, size: f32, s: impl Into<String>) {
        let s = s.into();
        let w = self.fonts.width(&s, size);
        self.texts.push((x_centre - w / 2.0, y, size, s));
    }

    /// Text broken into lines no wider than `width` (CJK breaks anywhere, which
    /// is how Chinese forms wrap). Returns the baseline of the last line.
    fn wrapped(&mut self, x: f32, y: f32, width: f32, size: f32, s: &str) -> f32 {
        let leading = size * 1.6;
        let mut y = y;
        let mut line = String::new();
        for c in s.chars() {
            line.push(c);
            if self.fonts.width(&line, size) > width && line.chars().count() > 1 {
                line.pop();
                self.texts.push((x, y, size, std::mem::take(&mut line)));
                line.push(c);
                y += leading;
            }
        }
        self.texts.push((x, y, size, line));
        y
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.lines.push((x1, y1, x2, y2));
    }
}

/// Renders the invoice. Pure and CPU-bound: call it from a blocking task.
pub fn render(d: &InvoiceData, fonts: &Fonts) -> Result<Vec<u8>, InvoiceError> {
    const W: f32 = 595.28;
    const L: f32 = 56.0;
    const R: f32 = W - 56.0;
    let mut w = Writer {
        fonts,
        texts: Vec::new(),
        lines: Vec::new(),
    };

    w.centre(W / 2.0, 84.0, 22.0, "电子发票（普通发票）");
    w.rule(W / 2.0 - 120.0, 94.0, W / 2.0 + 120.0, 94.0);
    w.text(R - 190.0, 124.0, 10.5, format!("发票号码：{}", d.number));
    w.text(R - 190.0, 142.0, 10.5, format!("开票日期：{}", d.date));

    // Buyer and seller boxes: long names and the tax id wrap inside their half.
    let top = 160.0;
    let column = (R - L) / 2.0 - 16.0;
    let party = |w: &mut Writer, x: f32, heading: &str, p: &Party| -> f32 {
        w.text(x, top + 20.0, 10.5, heading);
        let y = w.wrapped(x, top + 40.0, column, 10.5, &format!("名称：{}", p.name));
        let tax_id = if p.tax_id.is_empty() {
            "—"
        } else {
            &p.tax_id
        };
        // The label fills the half; the 18-character id goes on its own line
        // so it is never split.
        w.text(x, y + 18.0, 10.5, "统一社会信用代码/纳税人识别号：");
        w.wrapped(x, y + 36.0, column, 10.5, tax_id)
    };
    let buyer_end = party(&mut w, L + 8.0, "购买方信息", &d.buyer);
    let seller_end = party(&mut w, W / 2.0 + 8.0, "销售方信息", &d.seller);
    let bottom = buyer_end.max(seller_end) + 12.0;
    w.rule(L, top, R, top);
    w.rule(L, bottom, R, bottom);
    w.rule(L, top, L, bottom);
    w.rule(R, top, R, bottom);
    w.rule(W / 2.0, top, W / 2.0, bottom);

    // Lines.
    let mut y = bottom + 30.0;
    w.text(L + 8.0, y, 10.5, "项目名称");
    w.right(R - 150.0, y, 10.5, "数量");
    w.right(R - 8.0, y, 10.5, "金额");
    w.rule(L, y + 8.0, R, y + 8.0);
    for line in &d.lines {
        y += 24.0;
        w.right(R - 150.0, y, 10.5, line.quantity.to_string());
        w.right(R - 8.0, y, 10.5, money(line.amount_fen));
        y = w.wrapped(L + 8.0, y, R - 200.0 - L, 10.5, &line.name);
    }
    y += 16.0;
    w.rule(L, y, R, y);
    y += 22.0;
    w.text(L + 8.0, y, 10.5, "合计");
    w.right(R - 8.0, y, 10.5, money(d.total_fen));
    y += 24.0;
    w.text(
        L + 8.0,
        y,
        10.5,
        format!("价税合计（大写）：{}", capitals(d.total_fen)),
    );
    w.right(R - 8.0, y, 10.5, format!("（小写）{}", money(d.total_fen)));
    y += 10.0;
    w.rule(L, y, R, y);
    y += 24.0;
    w.wrapped(L + 8.0, y, R - L - 16.0, 9.0, &format!("备注：{}", d.note));

    for (_, _, _, s) in &w.texts {
        fonts.check(s)?;
    }

    let mut doc = Document::new();
    let mut page = doc.start_page_with(
        PageSettings::from_wh(W, 841.89).ok_or_else(|| InvoiceError::Pdf("page".into()))?,
    );
    let mut s = page.surface();
    s.set_stroke(Some(Stroke {
        width: 0.8,
        ..Default::default()
    }));
    for (x1, y1, x2, y2) in &w.lines {
        let mut pb = PathBuilder::new();
        pb.move_to(*x1, *y1);
        pb.line_to(*x2, *y2);
        if let Some(p) = pb.finish() {
            s.draw_path(&p);
        }
    }
    // Text must not be stroked (and stays searchable: not outlined).
    s.set_stroke(None);
    for (x, y, size, text) in &w.texts {
        s.draw_text(
            Point::from_xy(*x, *y),
            fonts.font.clone(),
            *size,
            text,
            false,
            TextDirection::Auto,
        );
    }
    s.finish();
    page.finish();
    doc.finish()
        .map_err(|e| InvoiceError::Pdf(format!("{e:?}")))
}
