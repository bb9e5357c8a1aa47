//! A minimal browser for the portal tests: keeps cookies, follows redirects, and
//! sends forms with the CSRF token the page carried, as a real form would.

use std::path::Path;

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
        let marker = "name=\"_csrf\" value=\"";
        let start = self.html.find(marker).expect("page has a CSRF field") + marker.len();
        self.html[start..].split('"').next().unwrap().to_string()
    }

    pub fn path(&self) -> String {
        let after_scheme = self.url.split_once("://").map(|x| x.1).unwrap_or(&self.url);
        after_scheme
            .find('/')
            .map(|i| after_scheme[i..].to_string())
            .unwrap_or_else(|| "/".into())
    }

    pub fn has(&self, text: &str) -> bool {
        self.html.contains(text)
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
