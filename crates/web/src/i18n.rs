//! Two languages: simplified Chinese (the default) and English, switched by a
//! cookie. UI text is looked up by key (`nav.home`); messages from deeper layers
//! (`domain::Msg`) are looked up by their source text, gettext-style, and filled
//! with their arguments. A missing UI key shows as `[[key]]` (tests look for it).

use std::collections::HashMap;
use std::sync::OnceLock;

use domain::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

pub const COOKIE: &str = "certhall_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::Zh => include_str!("../locales/zh-CN.txt"),
            Lang::En => include_str!("../locales/en.txt"),
        }
    }
}

/// `key = value` lines; `#` starts a comment; `\n` in a value is a line break.
/// Spaces at the end of a value are kept ("Hotline: ").
fn parse(source: &'static str) -> HashMap<&'static str, String> {
    source
        .lines()
        .map(|l| l.trim_start().trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.replace("\\n", "\n")))
        .collect()
}

fn table(lang: Lang) -> &'static HashMap<&'static str, String> {
    static ZH: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    match lang {
        Lang::Zh => ZH.get_or_init(|| parse(Lang::Zh.source())),
        Lang::En => EN.get_or_init(|| parse(Lang::En.source())),
    }
}

/// A translator for one request.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn lang(&self) -> Lang {
        self.0
    }

    /// UI text by key.
    pub fn t(&self, key: &str) -> String {
        table(self.0)
            .get(key)
            .cloned()
            .unwrap_or_else(|| format!("[[{key}]]"))
    }

    /// A message from a deeper layer, in this language when we have it.
    pub fn msg(&self, m: &Msg) -> String {
        match table(self.0).get(m.id) {
            Some(template) => m.fill(template),
            None => m.to_string(),
        }
    }

    /// Any text written in a source language (an event note, a label): its
    /// translation when we have one, else itself.
    pub fn text(&self, source: &str) -> String {
        table(self.0)
            .get(source)
            .cloned()
            .unwrap_or_else(|| source.to_string())
    }

    /// `zh` or `en` text, whichever is ours.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.0 {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ui_keys(lang: Lang) -> std::collections::BTreeSet<&'static str> {
        table(lang)
            .keys()
            .copied()
            .filter(|k| {
                k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
            })
            .collect()
    }

    #[test]
    fn both_languages_have_every_ui_key() {
        let zh = ui_keys(Lang::Zh);
        let en = ui_keys(Lang::En);
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only: {only_zh:?}; en only: {only_en:?}"
        );
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                for part in text.split(".t(\"").skip(1) {
                    let key = part.split('"').next().unwrap();
                    if !table(Lang::Zh).contains_key(key) {
                        missing.push(format!("{}: {key}", p.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys used but not defined: {missing:?}");
    }

    #[test]
    fn messages_translate_with_their_arguments() {
        let m = Msg::new("验证码不正确，还可尝试 {remaining} 次").arg("remaining", 4);
        assert_eq!(Tr(Lang::Zh).msg(&m), "验证码不正确，还可尝试 4 次");
        assert_eq!(Tr(Lang::En).msg(&m), "Wrong code: 4 tries left");
    }
}
