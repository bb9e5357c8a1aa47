//! Messages meant for people, kept translatable: a message id (the text in the
//! language it was written in, with `{name}` placeholders) and the values to put
//! in. `Display` fills in the original text; the web layer looks the id up in the
//! reader's language first (gettext-style, the source text is the key).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub id: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub const fn new(id: &'static str) -> Self {
        Msg {
            id,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// `template` with every `{name}` replaced by its value.
    pub fn fill(&self, template: &str) -> String {
        let mut out = template.to_string();
        for (name, value) in &self.args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

impl From<&'static str> for Msg {
    fn from(id: &'static str) -> Self {
        Msg::new(id)
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fill(self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders() {
        let m = Msg::new("还可尝试 {n} 次").arg("n", 3);
        assert_eq!(m.to_string(), "还可尝试 3 次");
        assert_eq!(m.fill("{n} tries left"), "3 tries left");
    }
}
