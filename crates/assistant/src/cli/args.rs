//! The flags and subcommands (clap), and the `--key-type` names.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::gui::Page;
use crate::token::KeyKind;

#[derive(Debug, Parser)]
#[command(
    name = "certhall-assistant",
    version,
    about = "数字证书助手：证书介质（USB Key）与网上业务"
)]
pub struct Cli {
    /// The platform's address.
    #[arg(
        long,
        env = "CERTHALL_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub server: String,
    /// The PKCS#11 module of the USB key (default: SoftHSM2's, if installed).
    #[arg(long, env = "CERTHALL_PKCS11_MODULE", global = true)]
    pub module: Option<PathBuf>,
    /// A USB key vendor's SKF library (GM/T 0016), e.g.
    /// /usr/lib/x86_64-linux-gnu/libskf.so; may be given several times.
    /// Libraries listed in ~/.config/certhall-assistant/drivers are loaded too.
    #[arg(
        long,
        env = "CERTHALL_SKF_LIBRARY",
        value_delimiter = ':',
        global = true
    )]
    pub skf: Vec<PathBuf>,
    /// The token's label, when several are inserted.
    #[arg(long, global = true)]
    pub token: Option<String>,
    /// Read the PIN from standard input instead of asking on the terminal.
    #[arg(long, global = true)]
    pub pin_stdin: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The options of the businesses that end in a new key pair in the token.
#[derive(Debug, clap::Args)]
pub struct RekeyArgs {
    /// The certificate (serial as `openssl x509 -serial` prints it), when the
    /// key holds several.
    #[arg(long)]
    pub(super) serial: Option<String>,
    /// The new key pair: auto (SM2 in an SKF key, P-256 in a PKCS#11 one),
    /// p256, rsa2048 or sm2.
    #[arg(long, default_value = "auto")]
    pub(super) key_type: String,
    /// Print the form's link instead of opening the browser.
    #[arg(long)]
    pub(super) no_browser: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The inserted keys and their certificates; with --online, their status
    /// and applications on the platform (needs the PIN).
    Status {
        #[arg(long)]
        online: bool,
    },
    /// 办事大厅: the businesses the platform offers.
    Hall,
    /// 证书变更: open the form, show the application's state, or, once approved,
    /// write the new certificate into the key.
    Change(RekeyArgs),
    /// 在线延期: as `change`, for a renewal (also of a certificate that has
    /// expired, within the renewal window).
    Renew(RekeyArgs),
    /// 注销: proves the key and opens the revocation form (reason, SMS code).
    Revoke {
        /// The certificate, when the key holds several.
        #[arg(long)]
        serial: Option<String>,
        /// Print the form's link instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// 在线新办, 在线补办: writes the certificate of an approved application
    /// into this key, with the 写入码 from 个人中心 (or, for a mailed key, the
    /// review desk).
    Pickup {
        /// The 写入码, e.g. ABCD-EFGH-JKMN-PQRS-TVWX.
        #[arg(long)]
        code: String,
        /// The key pair: auto, p256, rsa2048 or sm2 (as for `change`).
        #[arg(long, default_value = "auto")]
        key_type: String,
    },
    /// 签章变更: opens the form (new seal image and 采样表), shows the
    /// application's state, or, once approved, writes the new seal into the key.
    Seal {
        /// The certificate, when the key holds several.
        #[arg(long)]
        serial: Option<String>,
        /// Print the form's link instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Change the key's user PIN.
    Pin,
    /// 找回密码: a forgotten or locked PIN reset after an SMS code to the
    /// mobile reserved for the key.
    Unlock,
    /// Decrypts, inside the key, a message encrypted to a certificate's
    /// encryption certificate (双证书): the DER SM2 ciphertext that
    /// `openssl pkeyutl -encrypt` writes; the plaintext goes to standard
    /// output.
    Decrypt {
        /// The ciphertext file.
        #[arg(long = "in")]
        input: PathBuf,
        /// The signing certificate's serial, when the key holds several.
        #[arg(long)]
        serial: Option<String>,
    },
    /// The window: keys, 办事大厅, 证书变更, PIN change.
    Gui {
        /// The page it opens on.
        #[arg(long, value_enum, default_value = "keys")]
        page: Page,
    },
    /// What the `certhall://` links of the portal open (打开证书助手).
    Open { url: String },
    /// The local bridge on 127.0.0.1 the portal's page asks whether the
    /// assistant runs and a key is in.
    Bridge {
        #[arg(long, default_value_t = crate::bridge::DEFAULT_PORT)]
        port: u16,
        /// Pages allowed to ask (default: the --server's origin).
        #[arg(long)]
        allow_origin: Vec<String>,
    },
    /// Installs for this user: the program in ~/.local/bin, a desktop entry,
    /// the handler of `certhall://` links and the bridge at login; then opens
    /// the window.
    Install {
        /// Do not open the window at the end (scripts, tests).
        #[arg(long)]
        no_window: bool,
    },
    /// For packaging (scripts/package-assistant): writes the desktop entry
    /// and the autostart entry under ROOT's /usr/share and /etc/xdg, for the
    /// program installed as /usr/bin/certhall-assistant.
    #[command(hide = true)]
    DesktopEntries { root: PathBuf },
    /// For CA operators: USB keys handed out to holders.
    #[command(subcommand)]
    Token(TokenCmd),
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Initialises a blank key: a random SO PIN (held by the CA, never shown),
    /// the holder's first PIN, and the mobile reserved for 找回密码. Asks for the
    /// operator's password and code, then the holder's PIN.
    Init {
        #[arg(long)]
        label: String,
        /// The holder's mobile, for PIN resets by SMS.
        #[arg(long)]
        mobile: String,
        /// The operator's back-office account.
        #[arg(long)]
        operator: String,
    },
}

/// The key pair named by `--key-type` (`None`: the key's own kind).
pub(super) fn key_kind(name: &str) -> Result<Option<KeyKind>, Error> {
    match name {
        "auto" => Ok(None),
        "p256" => Ok(Some(KeyKind::P256)),
        "rsa2048" => Ok(Some(KeyKind::Rsa2048)),
        "sm2" => Ok(Some(KeyKind::Sm2)),
        other => Err(Error::Usage(format!(
            "--key-type：不支持 `{other}`（auto、p256、rsa2048 或 sm2）"
        ))),
    }
}
