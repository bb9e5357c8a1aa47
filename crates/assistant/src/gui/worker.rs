//! The thread that owns the token and the network: it carries out the
//! window's jobs, watches the drivers' keys, and sends back what changed.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use eframe::egui;
use secrecy::SecretString;

use super::lines::{hall_entry, token_lines};
use super::view::{HallEntry, TokenLine};
use crate::change::{self, Outcome};
use crate::client::Client;
use crate::token::{Drivers, Token, TokenInfo};

/// How often the keys are listed again: a key plugged in or pulled out
/// shows within about a second (PKCS#11 modules of card readers and SKF
/// libraries alike report keys when asked; SoftHSM2 only at its start).
const POLL: Duration = Duration::from_secs(1);

/// Work for the worker thread. PINs travel as secrets and are dropped after use.
pub(super) enum Job {
    SignIn(SecretString),
    Hall,
    Rekey(&'static str),
    ChangePin(SecretString, SecretString),
    Pickup(String),
    Seal,
    RevokeCode,
    RevokeInBrowser,
    RevokeConfirm(crate::revoke::RevokeRequest),
    UnlockStart,
    UnlockFinish(SecretString, SecretString),
}

/// What the worker tells the window.
pub(super) enum Update {
    Tokens(Vec<TokenLine>),
    Hall(Vec<HallEntry>),
    SignedIn(bool),
    /// The link of a form the browser could not be opened on (None: it was).
    Link(Option<String>),
    Done(String),
}

pub(super) struct Worker {
    drivers: Drivers,
    pub(super) client: Client,
    token: Option<Token>,
    tx: Sender<Update>,
    ctx: egui::Context,
}

impl Worker {
    /// A worker not signed in, telling the window through `tx` and waking it
    /// through `ctx`.
    pub(super) fn new(
        drivers: Drivers,
        client: Client,
        tx: Sender<Update>,
        ctx: egui::Context,
    ) -> Worker {
        Worker {
            drivers,
            client,
            token: None,
            tx,
            ctx,
        }
    }

    pub(super) fn send(&self, u: Update) {
        let _ = self.tx.send(u);
        self.ctx.request_repaint();
    }

    /// The keys present, with the server's word on each certificate once
    /// signed in.
    pub(super) fn tokens(&self) -> Vec<TokenLine> {
        token_lines(&self.drivers, self.token.as_ref(), &self.client)
    }

    /// Carries out jobs until the window is gone; between them, every
    /// [`POLL`], refreshes when a key is inserted or pulled out.
    pub(super) fn run(mut self, jobs: Receiver<Job>) {
        let mut seen = Vec::new();
        let mut next = Instant::now();
        loop {
            match jobs.recv_timeout(next.saturating_duration_since(Instant::now())) {
                Ok(job) => self.handle(job),
                Err(RecvTimeoutError::Timeout) => {
                    self.watch(&mut seen);
                    next = Instant::now() + POLL;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// The keys present now against those `seen` last: on a change, the list
    /// sent again; a key gone (pulled out, or swapped for another) signs the
    /// window out, its session with it.
    fn watch(&mut self, seen: &mut Vec<String>) {
        let now: Vec<String> = self
            .drivers
            .tokens()
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.serial)
            .collect();
        if now == *seen {
            return;
        }
        if seen.iter().any(|s| !now.contains(s)) {
            self.token = None;
            self.send(Update::SignedIn(false));
        }
        *seen = now;
        let t = self.tokens();
        self.send(Update::Tokens(t));
    }

    fn handle(&mut self, job: Job) {
        match job {
            Job::SignIn(pin) => self.sign_in(&pin),
            Job::Hall => self.hall(),
            Job::Rekey(business) => self.rekey(business),
            Job::ChangePin(old, new) => self.change_pin(&old, &new),
            Job::Pickup(code) => self.pickup(&code),
            Job::Seal => self.seal(),
            Job::RevokeCode => self.revoke_code(),
            Job::RevokeInBrowser => self.revoke_in_browser(),
            Job::RevokeConfirm(form) => self.revoke_confirm(&form),
            Job::UnlockStart => self.unlock_start(),
            Job::UnlockFinish(code, new) => self.unlock_finish(&code, &new),
        }
    }

    /// The key signed in, or the window told to sign in first.
    pub(super) fn signed_in(&self) -> Option<&Token> {
        if self.token.is_none() {
            self.send(Update::Done("请先输入 PIN 登录".into()));
        }
        self.token.as_ref()
    }

    /// The first key present, as the window lists it.
    fn first_key(&self) -> Result<TokenInfo, String> {
        self.drivers
            .tokens()
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or_else(|| "未检测到证书介质，请插入 USB Key".to_string())
    }

    /// The serial of the first key present (找回密码 works without a login).
    pub(super) fn first_serial(&self) -> Result<String, String> {
        self.first_key().map(|info| info.serial)
    }

    /// A session on the first key present, not logged in.
    pub(super) fn first_session(&self) -> Result<Token, String> {
        let info = self.first_key()?;
        self.drivers.open(&info.slot).map_err(|e| e.to_string())
    }

    /// A form's link opened in the browser; or, when it could not be, shown
    /// with a copy button.
    pub(super) fn opened(&self, url: String, what: &str) -> String {
        if crate::browser::open(&url) {
            self.send(Update::Link(None));
            format!("已在浏览器中打开{what}，请在浏览器中继续")
        } else {
            self.send(Update::Link(Some(url)));
            format!(
                "无法自动打开浏览器，请复制下面的链接，在浏览器中打开{what}（5 分钟内有效，仅可使用一次）"
            )
        }
    }

    /// The keys listed again, then `text` said.
    pub(super) fn refresh_and_say(&self, text: String) {
        let t = self.tokens();
        self.send(Update::Tokens(t));
        self.send(Update::Done(text));
    }

    /// Logs in to the first key present and lists its certificates with the
    /// server's word on each.
    fn sign_in(&mut self, pin: &SecretString) {
        let result = self
            .first_session()
            .and_then(|t| t.login(pin).map(|()| t).map_err(|e| e.to_string()));
        match result {
            Ok(t) => {
                self.token = Some(t);
                self.send(Update::SignedIn(true));
                let t = self.tokens();
                self.send(Update::Tokens(t));
                self.send(Update::Done("已登录".into()));
            }
            Err(e) => {
                // The key's own word on the tries left (few, the last one,
                // locked) beside the error, and the list read again for it.
                let left = self.first_key().ok().and_then(|i| i.pin_warning());
                let text = match left {
                    Some(w) => format!("{e}：{w}"),
                    None => e,
                };
                self.refresh_and_say(text);
            }
        }
    }

    /// 办事大厅: the businesses the server offers.
    fn hall(&self) {
        match self.client.businesses() {
            Ok(b) => self.send(Update::Hall(b.iter().map(hall_entry).collect())),
            Err(e) => self.send(Update::Done(e.to_string())),
        }
    }

    /// 证书变更 or 在线延期: the change flow, on the key signed in.
    fn rekey(&self, business: &'static str) {
        let Some(token) = self.signed_in() else {
            return;
        };
        let text = match change::run(token, &self.client, None, token.default_kind(), business) {
            Ok(Outcome::Opened { url }) => self.opened(url, "基本信息表单"),
            Ok(Outcome::Pending {
                business,
                state_label,
            }) => format!("{business}申请状态：{state_label}"),
            Ok(Outcome::Completed {
                serial, business, ..
            }) => {
                format!("{business}已完成：新证书（序列号 {serial}）已写入证书介质")
            }
            Err(e) => e.to_string(),
        };
        self.refresh_and_say(text);
    }

    /// 修改 PIN on the first key present.
    fn change_pin(&self, old: &SecretString, new: &SecretString) {
        let text = match self.first_session() {
            Err(e) => e,
            Ok(t) => match t.login(old).and_then(|()| t.change_pin(old, new)) {
                Ok(()) => "PIN 已修改".to_string(),
                Err(e) => e.to_string(),
            },
        };
        self.send(Update::Done(text));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;
    use testkit::softskf::{in_own_process, library};

    /// The next list of keys the worker sends, within `limit`.
    fn next_list(updates: &mpsc::Receiver<Update>, limit: Duration) -> Option<Vec<TokenLine>> {
        let end = Instant::now() + limit;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match updates.recv_timeout(left) {
                Ok(Update::Tokens(lines)) => return Some(lines),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }

    #[test]
    fn a_key_plugged_in_or_pulled_out_shows_within_two_seconds() {
        in_own_process(
            "gui::worker::tests::a_key_plugged_in_or_pulled_out_shows_within_two_seconds",
            |keys| {
                let drivers = Drivers::load(&[], &[library()]).unwrap();
                let client = Client::new("http://127.0.0.1:9").unwrap();
                let (tx, updates) = mpsc::channel();
                let (jobs, inbox) = mpsc::channel();
                let worker = Worker::new(drivers, client, tx, egui::Context::default());
                std::thread::spawn(move || worker.run(inbox));
                // Settled with no key in.
                std::thread::sleep(Duration::from_millis(200));
                keys.plug("ukey", "SKF-PLUG-1");
                let plugged = Instant::now();
                let lines = next_list(&updates, Duration::from_secs(2)).expect("the key shows");
                eprintln!("plugged in: shown after {:?}", plugged.elapsed());
                assert_eq!(lines.len(), 1);
                assert_eq!(lines[0].label, "ukey 国密 Key（国密 SKF）");
                keys.pull("ukey");
                let pulled = Instant::now();
                let lines = next_list(&updates, Duration::from_secs(2)).expect("the key goes");
                eprintln!("pulled out: gone after {:?}", pulled.elapsed());
                assert!(lines.is_empty());
                drop(jobs);
            },
        );
    }
}
