//! The `certhall://` links the portal's pages open (打开证书助手): any page on
//! the web can make one, so the assistant reads them strictly. A link is
//! `certhall://open`, optionally `?business=<key>` naming a 自助服务
//! business; anything else (another action, an unknown or repeated
//! parameter, an unknown business, a link longer than a page would make) is
//! refused with what was wrong, and opens nothing but the window's first page.

use domain::Business;

/// Longer than any link the portal makes, by far.
pub const MAX_LEN: usize = 256;

/// What a valid link asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The business whose button the holder clicked, if any.
    pub business: Option<Business>,
}

/// Reads a link; the error is a sentence for the holder.
pub fn parse(url: &str) -> Result<Link, String> {
    if url.len() > MAX_LEN {
        return Err(format!("链接过长（{} 字节），不是本平台的链接", url.len()));
    }
    let rest = url
        .strip_prefix("certhall://")
        .ok_or_else(|| format!("不是证书助手的链接：{}", shown(url)))?;
    let (action, query) = rest.split_once('?').unwrap_or((rest, ""));
    if action.trim_end_matches('/') != "open" {
        return Err(format!("链接中的操作无法识别：{}", shown(action)));
    }
    let mut business = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("business", key)) if business.is_none() => {
                business = Some(
                    key.parse::<Business>()
                        .ok()
                        .filter(|b| Business::self_service().any(|s| s == *b))
                        .ok_or_else(|| format!("链接中的业务无法识别：{}", shown(key)))?,
                );
            }
            _ => return Err(format!("链接中有无法识别的参数：{}", shown(pair))),
        }
    }
    Ok(Link { business })
}

/// A part of a link as it may be shown back: printable, and short.
fn shown(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(40)
        .collect();
    if s.chars().count() > 40 {
        format!("{clean}…")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_links_are_read() {
        assert_eq!(parse("certhall://open").unwrap().business, None);
        assert_eq!(
            parse("certhall://open?business=change").unwrap().business,
            Some(Business::Change)
        );
        assert_eq!(
            parse("certhall://open/?business=renew").unwrap().business,
            Some(Business::Renew)
        );
    }

    #[test]
    fn anything_else_is_refused_with_what_was_wrong() {
        for (url, says) in [
            ("https://ca.example.cn/", "不是证书助手的链接"),
            ("certhall://delete?business=change", "操作无法识别"),
            (
                "certhall://open?business=change&pin=123456",
                "无法识别的参数：pin=123456",
            ),
            (
                "certhall://open?business=change&business=renew",
                "无法识别的参数",
            ),
            ("certhall://open?business=wipe", "业务无法识别：wipe"),
            (
                "certhall://open?server=https://evil.example",
                "无法识别的参数",
            ),
        ] {
            let e = parse(url).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
        }
        let long = format!("certhall://open?business=change&x={}", "a".repeat(5000));
        let e = parse(&long).unwrap_err();
        assert!(e.contains("链接过长"), "{e}");
        assert!(e.len() < 100, "the message does not repeat the link");
        let e = parse("certhall://open?x=\u{1b}[31m").unwrap_err();
        assert!(!e.contains('\u{1b}'), "{e:?}");
    }
}
