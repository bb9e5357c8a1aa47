//! The raw text of one member of a JSON object. Alipay signs the response object
//! exactly as sent, so it must be verified over those bytes, not a re-encoding.

/// The raw value of the top-level member `key` of the JSON object `text`.
pub fn member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\"");
    let bytes = text.as_bytes();
    let mut search_from = 0;
    while let Some(pos) = text[search_from..].find(&needle) {
        let after_key = search_from + pos + needle.len();
        let rest = text[after_key..].trim_start();
        if let Some(value) = rest.strip_prefix(':') {
            let value = value.trim_start();
            let start = text.len() - value.len();
            let end = value_end(bytes, start)?;
            return Some(text[start..end].trim_end());
        }
        search_from = after_key;
    }
    None
}

/// The end (exclusive) of the JSON value starting at `start`.
fn value_end(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                    if depth < 0 {
                        return Some(i);
                    }
                }
                b',' if depth == 0 => return Some(i),
                _ => {}
            }
        }
        i += 1;
    }
    (depth == 0 && !in_string).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::member;

    #[test]
    fn finds_objects_strings_and_numbers_verbatim() {
        let t = r#"{"alipay_trade_query_response":{"code":"10000","msg":"Success","x":"a}\"b"},"sign":"abc=="}"#;
        assert_eq!(
            member(t, "alipay_trade_query_response"),
            Some(r#"{"code":"10000","msg":"Success","x":"a}\"b"}"#)
        );
        assert_eq!(member(t, "sign"), Some(r#""abc==""#));
        assert_eq!(member(r#"{"n": 12 , "m":[1,{"a":2}]}"#, "n"), Some("12"));
        assert_eq!(
            member(r#"{"n": 12 , "m":[1,{"a":2}]}"#, "m"),
            Some(r#"[1,{"a":2}]"#)
        );
        assert_eq!(member("{}", "x"), None);
    }
}
