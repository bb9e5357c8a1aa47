//! 人民币大写: amounts as they are written on Chinese invoices and cheques.

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const SMALL: [&str; 4] = ["", "拾", "佰", "仟"];
const BIG: [&str; 3] = ["", "万", "亿"];

/// 0–9999 in capitals, without leading zero handling.
fn group(n: u64) -> String {
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut out = String::new();
    let mut pending_zero = false;
    for (i, d) in digits.iter().enumerate() {
        if *d == 0 {
            pending_zero = !out.is_empty();
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        out.push(DIGITS[*d as usize]);
        out.push_str(SMALL[3 - i]);
    }
    out
}

/// `Fen(12345)` → 壹佰贰拾叁元肆角伍分; whole amounts end in 整.
pub fn capitals(fen: i64) -> String {
    let fen = fen.unsigned_abs();
    let yuan = fen / 100;
    let jiao = fen / 10 % 10;
    let cents = fen % 10;
    let mut out = String::new();
    if yuan > 0 {
        // Groups of four digits, most significant first: 亿, 万, and the rest.
        let groups = [
            yuan / 100_000_000 % 10_000,
            yuan / 10_000 % 10_000,
            yuan % 10_000,
        ];
        let mut started = false;
        let mut zero_gap = false;
        for (i, g) in groups.iter().enumerate() {
            if *g == 0 {
                zero_gap = started;
                continue;
            }
            if started && (zero_gap || *g < 1000) {
                out.push('零');
            }
            out.push_str(&group(*g));
            out.push_str(BIG[2 - i]);
            started = true;
            zero_gap = false;
        }
        if yuan >= 1_000_000_000_000 {
            // Beyond 万亿 nobody pays a CA; keep the figures honest anyway.
            out = format!("{yuan}");
        }
        out.push('元');
    }
    match (jiao, cents) {
        (0, 0) => {
            if out.is_empty() {
                out.push_str("零元");
            }
            out.push('整');
        }
        (0, c) => {
            if !out.is_empty() {
                out.push('零');
            }
            out.push(DIGITS[c as usize]);
            out.push('分');
        }
        (j, 0) => {
            out.push(DIGITS[j as usize]);
            out.push('角');
        }
        (j, c) => {
            out.push(DIGITS[j as usize]);
            out.push('角');
            out.push(DIGITS[c as usize]);
            out.push('分');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::capitals;

    #[test]
    fn amounts_as_written_on_invoices() {
        for (fen, words) in [
            (10_000, "壹佰元整"),
            (30_000, "叁佰元整"),
            (123_456, "壹仟贰佰叁拾肆元伍角陆分"),
            (100_500, "壹仟零伍元整"),
            (1_005, "壹拾元零伍分"),
            (10_000_000, "壹拾万元整"),
            (101_000_000, "壹佰零壹万元整"),
            (10_001_000, "壹拾万零壹拾元整"),
            (50, "伍角"),
            (5, "伍分"),
            (0, "零元整"),
            (20_000, "贰佰元整"),
            (1_000_000_100, "壹仟万零壹元整"),
            (10_000_000_000, "壹亿元整"),
            (10_000_010_000, "壹亿零壹佰元整"),
            (1_001_000, "壹万零壹拾元整"),
        ] {
            assert_eq!(capitals(fen), words, "{fen} fen");
        }
    }
}
