//! The worker's businesses beyond 证书变更 and 在线延期: 在线新办 and 在线补办
//! (the 写入码), 签章变更, 注销 (reason and SMS code) and 找回密码
//! (SMS code, new PIN). Each ends in one sentence for the window, in the
//! portal's words.

use secrecy::{ExposeSecret, SecretString};

use super::worker::{Update, Worker};
use crate::revoke::Revoked;
use crate::seal::SealOutcome;

impl Worker {
    /// 在线新办 / 在线补办: the key pair made in the key signed in, the
    /// certificate of the application the 写入码 names written.
    pub(super) fn pickup(&self, code: &str) {
        let Some(token) = self.signed_in() else {
            return;
        };
        let text = match crate::pickup::run(token, &self.client, code, token.default_kind()) {
            Ok(p) => {
                // 双证书: both serials, the signing certificate's first.
                let written = match &p.encryption_serial {
                    Some(enc) => format!(
                        "签名证书（序列号 {}）与加密证书（序列号 {enc}）已写入证书介质",
                        p.serial
                    ),
                    None => format!("证书已写入证书介质（序列号 {}）", p.serial),
                };
                let written = if p.earlier_serials.is_empty() {
                    written
                } else {
                    format!(
                        "{written}；原加密密钥已取回（{}）",
                        p.earlier_serials.join("、")
                    )
                };
                if p.state == "COMPLETED" {
                    format!("{written}，业务办理完成")
                } else {
                    format!("{written}，证书介质将由 CA 寄出")
                }
            }
            Err(e) => e.to_string(),
        };
        self.refresh_and_say(text);
    }

    /// 签章变更: the form opened; or where it stands; or, once approved, the
    /// seal written into the key.
    pub(super) fn seal(&self) {
        let Some(token) = self.signed_in() else {
            return;
        };
        let text = match crate::seal::run(token, &self.client, None) {
            Ok(SealOutcome::Opened { url }) => self.opened(url, "签章变更表单"),
            Ok(SealOutcome::Pending { state_label }) => {
                format!("签章变更申请状态：{state_label}")
            }
            Ok(SealOutcome::Written { .. }) => "签章变更已完成：新印章已写入证书介质".to_string(),
            Err(e) => e.to_string(),
        };
        self.refresh_and_say(text);
    }

    /// 注销, first step: the key proved, the code texted to the mobile of
    /// the certificate's account.
    pub(super) fn revoke_code(&self) {
        let Some(token) = self.signed_in() else {
            return;
        };
        let text = match crate::revoke::send_code(token, &self.client) {
            Ok(mobile) => format!("短信验证码已发送至 {mobile}，请在下方输入"),
            Err(e) => e.to_string(),
        };
        self.send(Update::Done(text));
    }

    /// 注销 in the browser: the key proved, the portal's form (reason, SMS
    /// code to the account signed in there) opened.
    pub(super) fn revoke_in_browser(&self) {
        let Some(token) = self.signed_in() else {
            return;
        };
        let text = match crate::change::open_form(token, &self.client, None, "revoke") {
            Ok(url) => self.opened(url, "证书注销表单"),
            Err(e) => e.to_string(),
        };
        self.send(Update::Done(text));
    }

    /// 注销, second step: the reason and the code; the key's certificate
    /// listed again with its new status.
    pub(super) fn revoke_confirm(&self, form: &crate::revoke::RevokeRequest) {
        let Some(token) = self.signed_in() else {
            return;
        };
        let text = match crate::revoke::confirm(token, &self.client, form) {
            Ok(Revoked::Now) => "证书已注销，即时失效且不可恢复".to_string(),
            Ok(Revoked::Waiting { state_label }) => {
                format!("注销申请已提交（{state_label}），审核通过后证书即失效，届时将短信通知您")
            }
            Err(e) => e.to_string(),
        };
        self.refresh_and_say(text);
    }

    /// 找回密码, first step: an SMS code to the mobile reserved for the key.
    pub(super) fn unlock_start(&self) {
        let text = match self.first_serial() {
            Ok(serial) => self
                .client
                .unlock_start(&serial)
                .unwrap_or_else(|e| e.to_string()),
            Err(e) => e,
        };
        self.send(Update::Done(text));
    }

    /// 找回密码, second step: with the code, the platform hands over the
    /// key's SO PIN (or says the request waits for review), which sets the
    /// new PIN.
    pub(super) fn unlock_finish(&self, code: &SecretString, new: &SecretString) {
        let text = match self.first_serial() {
            Err(e) => e,
            Ok(serial) => match self.client.unlock_finish(&serial, code.expose_secret()) {
                Ok(Ok(so_pin)) => match self.first_session() {
                    Ok(t) => match t.reset_user_pin(&so_pin, new) {
                        Ok(()) => "PIN 已重置，请使用新 PIN 登录".to_string(),
                        Err(e) => e.to_string(),
                    },
                    Err(e) => e,
                },
                Ok(Err(waiting)) => waiting,
                Err(e) => e.to_string(),
            },
        };
        self.refresh_and_say(text);
    }
}
