//! A minimal browser for the portal tests: keeps cookies, follows redirects, and
//! sends forms with the CSRF token the page carried, as a real form would.
//!
//! A [`Page`] is read as a person reads it: the text of the element that says
//! something (`page.error()`, `page.notice()`, `page.field_error("mobile")`,
//! `page.status()`, `page.text("h1")`), not a search through the HTML. Each
//! of these panics with the page's text when the element is not there.

use std::path::Path;

use scraper::{ElementRef, Html, Selector};

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

pub struct Page {
    pub status: u16,
    pub url: String,
    pub html: String,
}

impl Page {
    /// The value of the page's `_csrf` hidden field.
    pub fn csrf(&self) -> String {
        self.attr("input[name=_csrf]", "value")
    }

    pub fn path(&self) -> String {
        let after_scheme = self.url.split_once("://").map(|x| x.1).unwrap_or(&self.url);
        after_scheme
            .find('/')
            .map(|i| after_scheme[i..].to_string())
            .unwrap_or_else(|| "/".into())
    }

    /// Whether `text` is anywhere in the HTML, markup included: for checking
    /// that something is *not* on the page. What a page says is checked with
    /// [`Page::text`] and the helpers below.
    pub fn has(&self, text: &str) -> bool {
        self.html.contains(text)
    }

    /// The text of the first element `selector` picks, as a person reads it
    /// (whitespace collapsed); panics with the page's text if there is none.
    pub fn text(&self, selector: &str) -> String {
        self.texts(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| self.missing(selector))
    }

    /// The texts of every element `selector` picks, in page order (none: empty).
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let doc = Html::parse_document(&self.html);
        doc.select(&parse(selector)).map(read).collect()
    }

    /// Panics, with what the page says, unless one of the elements
    /// `selector` picks reads exactly `text`.
    pub fn assert_reads(&self, selector: &str, text: &str) {
        let found = self.texts(selector);
        if !found.iter().any(|t| t == text) {
            panic!(
                "no `{selector}` on {} reads {text:?}; those there read {found:?}; the page reads:\n{}",
                self.url,
                self.visible()
            );
        }
    }

    /// Whether `selector` picks an element.
    pub fn shows(&self, selector: &str) -> bool {
        Html::parse_document(&self.html)
            .select(&parse(selector))
            .next()
            .is_some()
    }

    /// An attribute of the first element `selector` picks; panics with the
    /// page's text if there is no such element or it has no such attribute.
    pub fn attr(&self, selector: &str, name: &str) -> String {
        let doc = Html::parse_document(&self.html);
        let found = doc
            .select(&parse(selector))
            .next()
            .unwrap_or_else(|| self.missing(selector));
        found
            .value()
            .attr(name)
            .unwrap_or_else(|| self.missing(&format!("{selector}[{name}]")))
            .to_string()
    }

    /// The message of an error page (`#error-message`).
    pub fn error(&self) -> String {
        self.text("#error-message")
    }

    /// What the page says was done (the notice in `role="status"`).
    pub fn notice(&self) -> String {
        self.text(".notice[role=status]")
    }

    /// The error shown under a form's field (`#<field>-error`).
    pub fn field_error(&self, field: &str) -> String {
        self.text(&format!("#{field}-error"))
    }

    /// The state label beside the heading (`#status`).
    pub fn status(&self) -> String {
        self.text("#status")
    }

    /// Everything the page says: its `<main>` as a person reads it, or the
    /// whole body if it has none.
    pub fn visible(&self) -> String {
        let doc = Html::parse_document(&self.html);
        let main = doc.select(&parse("main")).next();
        main.or_else(|| doc.select(&parse("body")).next())
            .map(read)
            .unwrap_or_default()
    }

    fn missing(&self, selector: &str) -> ! {
        panic!(
            "nothing on {} ({}) matches `{selector}`; the page reads:\n{}",
            self.url,
            self.status,
            Html::parse_document(&self.html)
                .select(&parse("body"))
                .next()
                .map(read)
                .unwrap_or_else(|| self.html.clone())
        )
    }
}

fn parse(selector: &str) -> Selector {
    Selector::parse(selector).unwrap_or_else(|e| panic!("bad selector `{selector}`: {e}"))
}

/// An element's text as it is shown: blocks, cells and list items apart,
/// whitespace collapsed, scripts and styles left out.
fn read(e: ElementRef) -> String {
    let mut out = String::new();
    read_into(e, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Elements a browser shows apart from the text around them.
const APART: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "button",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "label",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

fn read_into(e: ElementRef, out: &mut String) {
    let name = e.value().name();
    if matches!(name, "script" | "style" | "template") {
        return;
    }
    let apart = APART.contains(&name);
    if apart {
        out.push(' ');
    }
    for child in e.children() {
        if let Some(text) = child.value().as_text() {
            out.push_str(text);
        } else if let Some(element) = ElementRef::wrap(child) {
            read_into(element, out);
        }
    }
    if apart {
        out.push(' ');
    }
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: base.to_string(),
        }
    }

    /// A browser that reads English.
    pub fn english(base: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        jar.add_cookie_str("certhall_lang=en", &base.parse().unwrap());
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar)
                .build()
                .unwrap(),
            base: base.to_string(),
        }
    }

    /// The bytes a GET answers (a download), with its status.
    pub async fn download(&self, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }

    async fn page(r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let url = r.url().to_string();
        Page {
            status,
            url,
            html: r.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a form as the browser would: the page's CSRF token included.
    pub async fn post(&self, from: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = from.csrf();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    /// Posts exactly these fields (no token added).
    pub async fn post_raw(&self, action: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(
            self.client
                .post(format!("{}{action}", self.base))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Uploads a file to a materials form (the token in the query, as the page does).
    pub async fn upload(&self, from: &Page, action: &str, file_name: &str, bytes: Vec<u8>) -> Page {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        let url = format!("{}{action}?_csrf={}", self.base, from.csrf());
        Self::page(self.client.post(url).multipart(form).send().await.unwrap()).await
    }

    /// Signs in with the code from the SMS outbox; returns the page signed in to.
    pub async fn sign_in(&self, data_dir: &Path, mobile: &str, next: &str) -> Page {
        let form = self.get(&format!("/signin?next={next}")).await;
        let sent = self
            .post(&form, "/signin/code", &[("mobile", mobile), ("next", next)])
            .await;
        assert_eq!(sent.status, 200, "{}", sent.html);
        let code = last_code(data_dir, mobile);
        self.post(
            &sent,
            "/signin",
            &[("mobile", mobile), ("code", &code), ("next", next)],
        )
        .await
    }
}

/// The code of the newest SMS to `mobile` in the outbox.
pub use testkit::outbox::sms_code as last_code;
