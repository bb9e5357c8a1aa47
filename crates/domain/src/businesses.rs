//! The business list: every business of the platform, one entry each, in the
//! order of the 自助服务 page (图 2.2), then 注销. An entry names the business
//! (`Change`), its module in every layer (`change`: `ra::business::change`,
//! `web::portal::business::change`, `web::admin::review::change`), and the
//! facts the shared pipeline asks of it.
//!
//! Each layer reads the list through [`business_list!`] and builds its
//! dispatch from it (the typed form, its page, the review desk's comparison),
//! so adding a business is its entry here and its own modules: the compiler
//! then asks for each of those modules, never for an arm in a shared `match`
//! (CONTRIBUTING.md, "Adding a business").

use std::fmt;
use std::str::FromStr;

use crate::{Msg, ParseError};

/// Calls `$then! { … }` with every entry of the business list:
/// `Variant => module { facts }`, each with its doc comment. A layer's
/// callback takes the entries as
/// `$( $(#[$doc:meta])* $V:ident => $m:ident { $($facts:tt)* } ),*`.
#[macro_export]
macro_rules! business_list {
    ($then:ident) => {
        $then! {
            /// 在线新办
            New => new {
                key: "new",
                entry_zh: "在线新办",
                name_zh: "在线新办",
                name_en: "New certificate",
                self_service: true,
                starts_from_certificate: false,
                replaces_certificate: false,
                rekeys: false,
                picked_up: true,
                may_skip_review: false,
            },
            /// 在线延期
            Renew => renew {
                key: "renew",
                entry_zh: "在线延期",
                name_zh: "在线延期",
                name_en: "Renewal",
                self_service: true,
                starts_from_certificate: true,
                replaces_certificate: true,
                rekeys: true,
                picked_up: false,
                may_skip_review: true,
            },
            /// 在线补办
            Reissue => reissue {
                key: "reissue",
                entry_zh: "在线补办",
                name_zh: "在线补办",
                name_en: "Reissue",
                self_service: true,
                starts_from_certificate: true,
                replaces_certificate: true,
                rekeys: false,
                picked_up: true,
                may_skip_review: false,
            },
            /// 签章变更
            SealChange => seal {
                key: "seal",
                entry_zh: "签章变更",
                name_zh: "签章变更",
                name_en: "E-seal change",
                self_service: true,
                starts_from_certificate: true,
                replaces_certificate: false,
                rekeys: false,
                picked_up: false,
                may_skip_review: false,
            },
            /// 找回密码
            Unlock => unlock {
                key: "unlock",
                entry_zh: "找回密码",
                name_zh: "找回密码",
                name_en: "PIN recovery",
                self_service: true,
                starts_from_certificate: false,
                replaces_certificate: false,
                rekeys: false,
                picked_up: false,
                may_skip_review: false,
            },
            /// 证书查询与证书变更 (the change of subject)
            Change => change {
                key: "change",
                entry_zh: "证书查询与证书变更",
                name_zh: "证书变更",
                name_en: "Certificate change",
                self_service: true,
                starts_from_certificate: true,
                replaces_certificate: true,
                rekeys: true,
                picked_up: false,
                may_skip_review: false,
            },
            /// 注销
            Revoke => revoke {
                key: "revoke",
                entry_zh: "证书注销",
                name_zh: "证书注销",
                name_en: "Revocation",
                self_service: false,
                starts_from_certificate: true,
                replaces_certificate: false,
                rekeys: false,
                picked_up: false,
                may_skip_review: true,
            },
        }
    };
}

/// What an entry of the list says about its business. The pipeline asks
/// these (through `Business`'s methods), so a business says here, once, how
/// it runs.
struct Facts {
    /// The key in URLs, the database and configuration.
    key: &'static str,
    /// The entry's name on 自助服务.
    entry_zh: &'static str,
    /// The business's own name (个人中心, timeline).
    name_zh: &'static str,
    name_en: &'static str,
    /// 自助服务 shows it (注销 starts from a certificate in 个人中心).
    self_service: bool,
    /// Starts from a certificate the holder holds (proved by its key, or one
    /// of their own in 我的证书); 在线新办 starts from nothing and 找回密码
    /// from a key, not an application.
    starts_from_certificate: bool,
    /// Ends with the certificate replaced by another: one such application
    /// per certificate at a time.
    replaces_certificate: bool,
    /// A new key pair is made in the holder's key and the new certificate is
    /// written there by the assistant, proved by the old certificate's key.
    rekeys: bool,
    /// No key of ours can prove who asks: after approval the certificate is
    /// picked up with a 写入码 (or mailed in a key of the CA's).
    picked_up: bool,
    /// May be set to need no reviewer (审核人数 0): it carries no new identity
    /// to check.
    may_skip_review: bool,
}

macro_rules! define_businesses {
    ($( $(#[$doc:meta])* $V:ident => $m:ident { $($facts:tt)* } ),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Business {
            $( $(#[$doc])* $V, )*
        }

        impl Business {
            const COUNT: usize = [$(Business::$V),*].len();

            /// Every business, in the order of the list.
            pub const ALL: [Business; Business::COUNT] = [$(Business::$V),*];

            fn facts(self) -> Facts {
                match self {
                    $( Business::$V => Facts { $($facts)* }, )*
                }
            }
        }
    };
}

crate::business_list!(define_businesses);

impl Business {
    /// The entries of 自助服务, in the order of 图 2.2.
    pub fn self_service() -> impl Iterator<Item = Business> {
        Self::ALL.into_iter().filter(|b| b.facts().self_service)
    }

    pub fn key(self) -> &'static str {
        self.facts().key
    }

    /// The entry's name on 自助服务.
    pub fn entry_zh(self) -> &'static str {
        self.facts().entry_zh
    }

    /// The business's own name (个人中心, timeline).
    pub fn name_zh(self) -> &'static str {
        self.facts().name_zh
    }

    pub fn name_en(self) -> &'static str {
        self.facts().name_en
    }

    /// See [`Facts::starts_from_certificate`].
    pub fn starts_from_certificate(self) -> bool {
        self.facts().starts_from_certificate
    }

    /// See [`Facts::replaces_certificate`].
    pub fn replaces_certificate(self) -> bool {
        self.facts().replaces_certificate
    }

    /// See [`Facts::rekeys`].
    pub fn rekeys(self) -> bool {
        self.facts().rekeys
    }

    /// See [`Facts::picked_up`].
    pub fn picked_up(self) -> bool {
        self.facts().picked_up
    }

    /// See [`Facts::may_skip_review`].
    pub fn may_skip_review(self) -> bool {
        self.facts().may_skip_review
    }
}

impl FromStr for Business {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|b| b.key() == s.trim())
            .ok_or_else(|| {
                ParseError::invalid(
                    "business",
                    Msg::new("unknown business `{value}`").arg("value", s),
                )
            })
    }
}

impl fmt::Display for Business {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses_back_and_keys_are_distinct() {
        for b in Business::ALL {
            assert_eq!(b.key().parse::<Business>().unwrap(), b);
        }
        let mut keys: Vec<_> = Business::ALL.iter().map(|b| b.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Business::ALL.len());
    }

    #[test]
    fn self_service_is_the_order_of_figure_2_2() {
        let names: Vec<_> = Business::self_service().map(|b| b.entry_zh()).collect();
        assert_eq!(
            names,
            [
                "在线新办",
                "在线延期",
                "在线补办",
                "签章变更",
                "找回密码",
                "证书查询与证书变更"
            ]
        );
    }
}
