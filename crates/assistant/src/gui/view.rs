//! Everything the window shows, and the clicks not yet handed to the worker.

/// One certificate as the window lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertLine {
    pub holder: String,
    pub serial: String,
    pub issuer: String,
    pub validity: String,
    /// From the server once signed in: 有效 / 已吊销 / 已过期, and applications.
    pub status: String,
    /// From the server once signed in: the businesses this certificate may
    /// not start now, each with why (business key, reason).
    pub unavailable: Vec<(String, String)>,
    /// The e-seal image written in the key for it, if any.
    pub seal: Option<SealPng>,
    /// 双证书: the serial of the encryption certificate beside it, if any.
    pub encryption: Option<String>,
}

/// An e-seal image as read from the key, with its digest taken once when
/// read (the window keys its texture by it, and draws many frames).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealPng {
    pub png: Vec<u8>,
    pub sha256: [u8; 32],
}

impl SealPng {
    pub fn new(png: Vec<u8>) -> SealPng {
        use sha2::Digest;
        let sha256 = sha2::Sha256::digest(&png).into();
        SealPng { png, sha256 }
    }
}

/// One inserted key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenLine {
    pub label: String,
    pub warning: Option<String>,
    /// The shortest PIN it takes.
    pub pin_min: usize,
    pub certs: Vec<CertLine>,
    /// 在线补办 of a 双证书: the serials of the earlier encryption
    /// certificates whose keys came back (a container each); known once
    /// signed in.
    pub earlier: Vec<String>,
}

/// A business of 办事大厅: its key, its name and its price (免费, or per
/// certificate type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HallEntry {
    pub key: String,
    pub name: String,
    pub price: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Page {
    #[default]
    Keys,
    Hall,
    Pin,
    /// 在线新办 / 在线补办: the 写入码.
    Pickup,
    /// 找回密码: SMS code and the new PIN twice.
    Unlock,
    /// 注销: reason, SMS code, the confirmation that it cannot be undone.
    Revoke,
}

/// What the holder asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    ShowHall,
    /// 证书变更 or 在线延期 (`change::REKEYED`).
    Rekey(&'static str),
    ChangePin,
    /// 在线新办 / 在线补办 with the 写入码 typed (`View::code`).
    Pickup,
    /// 签章变更.
    Seal,
    /// 注销: the code texted to the certificate's account.
    RevokeCode,
    /// 注销: the reason and the code, confirmed.
    RevokeConfirm,
    /// 注销 in the browser instead: for a certificate no account holds (one
    /// issued at the counter), whose holder signs in there first.
    RevokeInBrowser,
    /// 找回密码: the SMS code sent.
    UnlockStart,
    /// 找回密码: the code and the new PIN.
    UnlockFinish,
}

/// Everything the window shows.
#[derive(Debug, Default)]
pub struct View {
    pub server: String,
    pub tokens: Vec<TokenLine>,
    pub hall: Vec<HallEntry>,
    pub page: Page,
    pub pin: String,
    pub old_pin: String,
    pub new_pin: String,
    /// The new PIN typed again (找回密码).
    pub new_pin2: String,
    /// The 写入码 (在线新办, 在线补办).
    pub code: String,
    /// The SMS code (找回密码, 注销).
    pub sms: String,
    /// 注销's reason (`revoke::REASONS`), note, and the box ticked that says
    /// it cannot be undone.
    pub revoke_reason: Option<&'static str>,
    pub revoke_note: String,
    pub revoke_sure: bool,
    pub signed_in: bool,
    pub busy: bool,
    pub message: Option<String>,
    /// A form's link the browser could not be opened on: shown with a copy
    /// button.
    pub link: Option<String>,
    /// What the holder chose before signing in: carried out once signed in.
    pub pending: Option<Action>,
    /// Clicks not yet handed to the worker.
    pub actions: Vec<Action>,
}

impl View {
    /// 登录 (or Enter in the PIN field): an empty PIN, or one shorter than
    /// the key takes, is refused here, so it costs no try on the key.
    pub fn submit_pin(&mut self) {
        let min = self.tokens.first().map_or(0, |t| t.pin_min).max(1);
        let len = self.pin.chars().count();
        if len == 0 {
            self.message = Some("请输入 PIN".into());
        } else if len < min {
            self.message = Some(format!("PIN 至少 {min} 位，请重新输入"));
        } else {
            self.actions.push(Action::SignIn);
        }
    }

    /// `action` needs the key's PIN first: asks for it, and remembers the
    /// action for [`View::signed_in_now`].
    pub fn after_sign_in(&mut self, action: Action, what: &str) {
        self.pending = Some(action);
        self.page = Page::Keys;
        self.message = Some(format!("请输入 PIN 登录，登录后将继续办理{what}"));
    }

    /// 写入证书: a 写入码 that cannot be one is said here (20 letters and
    /// digits, dashes and spaces as typed); the server judges the rest
    /// (unknown, expired, used).
    pub fn submit_code(&mut self) {
        let n = self
            .code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .count();
        let clean = self
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ');
        if n != 20 || !clean {
            self.message = Some("写入码应为 20 位字母和数字（如 ABCD-EFGH-JKMN-PQRS-TVWX）".into());
        } else if self.signed_in {
            self.actions.push(Action::Pickup);
        } else {
            self.after_sign_in(Action::Pickup, "证书写入");
        }
    }

    /// 找回密码: the SMS code and the new PIN, typed twice, checked before
    /// anything is sent.
    pub fn submit_unlock(&mut self) {
        let n = self.new_pin.chars().count();
        let refused = if self.sms.trim().is_empty() {
            Some("请输入短信验证码")
        } else if !(6..=16).contains(&n) {
            Some("新 PIN 应为 6–16 位")
        } else if self.new_pin != self.new_pin2 {
            Some("两次输入的新 PIN 不一致")
        } else {
            None
        };
        match refused {
            Some(why) => self.message = Some(why.into()),
            None => self.actions.push(Action::UnlockFinish),
        }
    }

    /// 确认注销: a reason, the code and the box ticked, else what is missing;
    /// nothing is sent until all three are there.
    pub fn submit_revoke(&mut self) {
        let refused = if self.revoke_reason.is_none() {
            Some("请选择注销原因")
        } else if self.sms.trim().is_empty() {
            Some("请输入短信验证码")
        } else if !self.revoke_sure {
            Some("请勾选“我已知晓注销后不可恢复”")
        } else {
            None
        };
        match refused {
            Some(why) => self.message = Some(why.into()),
            None => self.actions.push(Action::RevokeConfirm),
        }
    }

    /// Signed in: the action chosen before goes on by itself.
    pub fn signed_in_now(&mut self) {
        self.signed_in = true;
        if let Some(a) = self.pending.take() {
            self.page = match a {
                Action::Pickup => Page::Pickup,
                Action::RevokeCode | Action::RevokeConfirm | Action::RevokeInBrowser => {
                    Page::Revoke
                }
                _ => Page::Hall,
            };
            self.actions.push(a);
        }
    }
}
