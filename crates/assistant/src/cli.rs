//! The command line: `status`, `hall`, `change`, `pin`. Messages are for the
//! holder, in Chinese; errors go to stderr with exit code 1 (2 for usage).
//!
//! The PIN is asked for on the terminal (not echoed), or read from standard
//! input with `--pin-stdin` (one line; for `pin`, the old then the new). It is
//! used for the one login and never printed, logged or stored.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use crate::Error;
use crate::change::{self, Outcome};
use crate::client::Client;
use crate::token::{KeyKind, Module, Token, TokenInfo};

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
    serial: Option<String>,
    /// The new key pair: p256 or rsa2048.
    #[arg(long, default_value = "p256")]
    key_type: String,
    /// Print the form's link instead of opening the browser.
    #[arg(long)]
    no_browser: bool,
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
        /// The key pair: p256 or rsa2048.
        #[arg(long, default_value = "p256")]
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
    /// The window: keys, 办事大厅, 证书变更, PIN change.
    Gui {
        /// The page it opens on.
        #[arg(long, value_enum, default_value = "keys")]
        page: crate::gui::Page,
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
    /// and the handler of `certhall://` links.
    Install,
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

struct Pins {
    stdin: bool,
}

impl Pins {
    /// The next line of standard input (`--pin-stdin`), or what is typed at the
    /// terminal without echo.
    fn next(&mut self, prompt: &str) -> Result<SecretString, Error> {
        if self.stdin {
            let mut line = String::new();
            let n = std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Error::Usage(format!("无法读取输入：{e}")))?;
            if n == 0 {
                return Err(Error::Usage("标准输入中没有 PIN".into()));
            }
            return Ok(SecretString::from(line.trim().to_string()));
        }
        rpassword::prompt_password(prompt)
            .map(|p| SecretString::from(p.trim().to_string()))
            .map_err(|e| Error::Usage(format!("无法读取 PIN：{e}")))
    }
}

fn module(cli: &Cli) -> Result<Module, Error> {
    let path = cli
        .module
        .clone()
        .or_else(crate::token::default_module)
        .ok_or_else(|| {
            Error::Usage("请用 --module 指定证书介质的 PKCS#11 驱动（未找到 SoftHSM2）".into())
        })?;
    Module::load(&path)
}

fn pick(module: &Module, label: Option<&str>) -> Result<(TokenInfo, Token), Error> {
    let tokens = module.tokens()?;
    if label.is_none() && tokens.len() > 1 {
        let names: Vec<&str> = tokens.iter().map(|t| t.label.as_str()).collect();
        return Err(Error::Usage(format!(
            "检测到多个证书介质（{}），请用 --token 指定要使用的一个",
            names.join("、")
        )));
    }
    let info = match label {
        Some(l) => tokens
            .into_iter()
            .find(|t| t.label == l)
            .ok_or_else(|| Error::Usage(format!("未找到名为“{l}”的证书介质")))?,
        None => tokens
            .into_iter()
            .next()
            .ok_or_else(|| Error::Usage("未检测到证书介质，请插入 USB Key".into()))?,
    };
    let token = module.open(info.slot)?;
    Ok((info, token))
}

fn login(token: &Token, info: &TokenInfo, pins: &mut Pins) -> Result<(), Error> {
    if let Some(w) = info.pin_warning() {
        eprintln!("注意：{w}");
    }
    let pin = pins.next(&format!("请输入证书介质“{}”的 PIN：", info.label))?;
    token.login(&pin)
}

fn describe(out: &mut dyn Write, der: &[u8]) -> std::io::Result<()> {
    use der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return writeln!(out, "  （无法解析的证书）");
    };
    let tbs = cert.tbs_certificate();
    let v = tbs.validity();
    writeln!(out, "  持有人：{}", tbs.subject())?;
    writeln!(
        out,
        "  序列号：{}",
        change::serial_of(der).unwrap_or_default()
    )?;
    writeln!(out, "  颁发者：{}", tbs.issuer())?;
    writeln!(out, "  有效期：{} 至 {}", v.not_before, v.not_after)
}

fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Usage(e.to_string());
    let mut pins = Pins {
        stdin: cli.pin_stdin,
    };
    match &cli.command {
        Command::Hall => {
            let client = Client::new(&cli.server)?;
            writeln!(out, "办事大厅").map_err(io)?;
            for b in client.businesses()? {
                let prices: Vec<String> = b
                    .prices
                    .iter()
                    .map(|(t, p)| {
                        let t = if t == "enterprise" {
                            "机构"
                        } else {
                            "个人"
                        };
                        format!("{t} {}", p.as_str().unwrap_or_default())
                    })
                    .collect();
                writeln!(out, "  {}（{}）", b.name, prices.join("，")).map_err(io)?;
            }
        }
        Command::Status { online } => {
            let module = module(&cli)?;
            let tokens = module.tokens()?;
            if tokens.is_empty() {
                writeln!(out, "未检测到证书介质").map_err(io)?;
            }
            let client = if *online {
                Some(Client::new(&cli.server)?)
            } else {
                None
            };
            for info in tokens {
                if cli.token.as_deref().is_some_and(|l| l != info.label) {
                    continue;
                }
                writeln!(
                    out,
                    "证书介质：{}（{} {}，序列号 {}）",
                    info.label, info.manufacturer, info.model, info.serial
                )
                .map_err(io)?;
                if let Some(w) = info.pin_warning() {
                    writeln!(out, "  {w}").map_err(io)?;
                }
                let token = module.open(info.slot)?;
                if let Some(client) = &client {
                    login(&token, &info, &mut pins)?;
                    for h in change::holders(&token)? {
                        describe(out, &h.cert.der).map_err(io)?;
                        let st = client.status(&h)?;
                        let status = match st.status.as_str() {
                            "valid" => "有效",
                            "revoked" => "已吊销",
                            _ => "已过期",
                        };
                        writeln!(out, "  状态：{status}").map_err(io)?;
                        if let Some(line) = st.renewal_line() {
                            writeln!(out, "  {line}").map_err(io)?;
                        }
                        for a in &st.applications {
                            writeln!(out, "  业务：{} · {}", a.business_name, a.state_label)
                                .map_err(io)?;
                        }
                    }
                } else {
                    for c in token.certificates()? {
                        describe(out, &c.der).map_err(io)?;
                    }
                }
            }
        }
        Command::Change(RekeyArgs {
            serial,
            key_type,
            no_browser,
        })
        | Command::Renew(RekeyArgs {
            serial,
            key_type,
            no_browser,
        }) => {
            let business = match &cli.command {
                Command::Renew(_) => "renew",
                _ => "change",
            };
            let kind = key_kind(key_type)?;
            let module = module(&cli)?;
            let (info, token) = pick(&module, cli.token.as_deref())?;
            login(&token, &info, &mut pins)?;
            let client = Client::new(&cli.server)?;
            match change::run(&token, &client, serial.as_deref(), kind, business)? {
                Outcome::Opened { url } => {
                    writeln!(
                        out,
                        "请在浏览器中填写基本信息（链接 5 分钟内有效，仅可使用一次）："
                    )
                    .map_err(io)?;
                    writeln!(out, "{url}").map_err(io)?;
                    if !no_browser {
                        open_browser(&url);
                    }
                }
                Outcome::Pending {
                    business,
                    state_label,
                } => {
                    writeln!(out, "{business}申请状态：{state_label}").map_err(io)?;
                }
                Outcome::Completed {
                    application_id,
                    business,
                    serial,
                } => {
                    writeln!(
                        out,
                        "{business}已完成：新证书（序列号 {serial}）已写入证书介质，原证书已删除。"
                    )
                    .map_err(io)?;
                    writeln!(out, "申请编号：{application_id}").map_err(io)?;
                }
            }
        }
        Command::Pickup { code, key_type } => {
            let kind = key_kind(key_type)?;
            let module = module(&cli)?;
            let (info, token) = pick(&module, cli.token.as_deref())?;
            login(&token, &info, &mut pins)?;
            let client = Client::new(&cli.server)?;
            let done = crate::pickup::run(&token, &client, code, kind)?;
            writeln!(
                out,
                "证书（序列号 {}）已写入证书介质“{}”。",
                done.serial, info.label
            )
            .map_err(io)?;
            if done.state == "COMPLETED" {
                writeln!(out, "业务已办理完成。申请编号：{}", done.application_id).map_err(io)?;
            } else {
                writeln!(out, "请在后台登记发货。申请编号：{}", done.application_id).map_err(io)?;
            }
        }
        Command::Seal { serial, no_browser } => {
            let module = module(&cli)?;
            let (info, token) = pick(&module, cli.token.as_deref())?;
            login(&token, &info, &mut pins)?;
            let client = Client::new(&cli.server)?;
            match crate::seal::run(&token, &client, serial.as_deref())? {
                crate::seal::SealOutcome::Opened { url } => {
                    writeln!(
                        out,
                        "请在浏览器中上传新印章与《电子印章采样表》（链接 5 分钟内有效，仅可使用一次）："
                    )
                    .map_err(io)?;
                    writeln!(out, "{url}").map_err(io)?;
                    if !*no_browser {
                        open_browser(&url);
                    }
                }
                crate::seal::SealOutcome::Pending { state_label } => {
                    writeln!(out, "签章变更申请状态：{state_label}").map_err(io)?;
                }
                crate::seal::SealOutcome::Written {
                    application_id,
                    bytes,
                } => {
                    writeln!(
                        out,
                        "签章变更已完成：新印章（{bytes} 字节）已写入证书介质。申请编号：{application_id}"
                    )
                    .map_err(io)?;
                }
            }
        }
        Command::Revoke { serial, no_browser } => {
            let module = module(&cli)?;
            let (info, token) = pick(&module, cli.token.as_deref())?;
            login(&token, &info, &mut pins)?;
            let client = Client::new(&cli.server)?;
            let url = change::open_form(&token, &client, serial.as_deref(), "revoke")?;
            writeln!(
                out,
                "请在浏览器中选择注销原因并以短信验证码确认（链接 5 分钟内有效，仅可使用一次）："
            )
            .map_err(io)?;
            writeln!(out, "{url}").map_err(io)?;
            if !*no_browser {
                open_browser(&url);
            }
        }
        Command::Open { url } => {
            // certhall://open?business=change: the window, where the holder goes on;
            // a business named in the link opens 办事大厅, where its button is.
            if !url.starts_with("certhall:") {
                return Err(Error::Usage(format!("不是证书助手的链接：{url}")));
            }
            let page = if url.contains("business=") {
                crate::gui::Page::Hall
            } else {
                crate::gui::Page::Keys
            };
            let module = module(&cli)?;
            crate::gui::run(module, &cli.server, page)?;
        }
        Command::Bridge { port, allow_origin } => {
            let mut allowed: Vec<String> = allow_origin
                .iter()
                .filter_map(|o| crate::bridge::origin_of(o))
                .collect();
            if allowed.is_empty() {
                allowed.extend(crate::bridge::origin_of(&cli.server));
            }
            let module = module(&cli)?;
            crate::bridge::serve(module, *port, allowed)?;
        }
        Command::Token(TokenCmd::Init {
            label,
            mobile,
            operator,
        }) => {
            use secrecy::ExposeSecret;
            let module = module(&cli)?;
            let client = Client::new(&cli.server)?;
            let slot = module
                .blank_slot()?
                .ok_or_else(|| Error::Usage("没有未初始化的证书介质，请插入空白 USB Key".into()))?;
            let password = pins.next("操作员密码：")?;
            let code = pins.next("操作员动态口令：")?;
            let user_pin = pins.next("持有人的初始 PIN（6–16 位）：")?;
            if !(6..=16).contains(&user_pin.expose_secret().chars().count()) {
                return Err(Error::Usage("PIN 应为 6–16 位".into()));
            }
            let mut random = [0u8; 16];
            getrandom::fill(&mut random)
                .map_err(|e| Error::Token(format!("无法生成随机数：{e}")))?;
            let so_pin = SecretString::from(hex::encode(random));
            module.init_token(slot, &so_pin, label)?;
            module.open(slot)?.reset_user_pin(&so_pin, &user_pin)?;
            let serial = module.serial_of(slot)?;
            client
                .escrow(operator, &password, &code, &serial, mobile, &so_pin)
                .map_err(|e| {
                    Error::Server(format!(
                        "证书介质（序列号 {serial}）已初始化，但 SO PIN 未能交由 CA 保管（{e}）；\
                         该介质无法在线找回密码，请重新初始化"
                    ))
                })?;
            writeln!(
                out,
                "证书介质“{label}”（序列号 {serial}）已初始化；SO PIN 已交由 CA 保管，找回密码的验证码将发至预留手机"
            )
            .map_err(io)?;
        }
        Command::Install => {
            let done = crate::install::install(&cli.server)?;
            for line in done {
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        Command::Gui { page } => {
            let module = module(&cli)?;
            crate::gui::run(module, &cli.server, *page)?;
        }
        Command::Unlock => {
            use secrecy::ExposeSecret;
            let module = module(&cli)?;
            let (info, token) = pick(&module, cli.token.as_deref())?;
            let client = Client::new(&cli.server)?;
            let said = client.unlock_start(&info.serial)?;
            writeln!(out, "{said}").map_err(io)?;
            out.flush().map_err(io)?;
            let code = pins.next("请输入短信验证码：")?;
            let new = pins.next("请输入新 PIN（6–16 位）：")?;
            let n = new.expose_secret().chars().count();
            if !(6..=16).contains(&n) {
                return Err(Error::Usage("新 PIN 应为 6–16 位".into()));
            }
            match client.unlock_finish(&info.serial, code.expose_secret())? {
                Ok(so_pin) => {
                    token.reset_user_pin(&so_pin, &new)?;
                    writeln!(out, "证书介质“{}”的 PIN 已重置，请使用新 PIN", info.label)
                        .map_err(io)?;
                }
                Err(waiting) => writeln!(out, "{waiting}").map_err(io)?,
            }
        }
        Command::Pin => {
            let module = module(&cli)?;
            let (info, token) = pick(&module, cli.token.as_deref())?;
            let old = pins.next("请输入当前 PIN：")?;
            let new = pins.next("请输入新 PIN（6–16 位）：")?;
            use secrecy::ExposeSecret;
            let n = new.expose_secret().chars().count();
            if !(6..=16).contains(&n) {
                return Err(Error::Usage("新 PIN 应为 6–16 位".into()));
            }
            token.login(&old)?;
            token.change_pin(&old, &new)?;
            writeln!(out, "证书介质“{}”的 PIN 已修改", info.label).map_err(io)?;
        }
    }
    Ok(())
}

/// Opens the holder's browser on a link, where there is one to open.
fn key_kind(name: &str) -> Result<KeyKind, Error> {
    match name {
        "p256" => Ok(KeyKind::P256),
        "rsa2048" => Ok(KeyKind::Rsa2048),
        other => Err(Error::Usage(format!(
            "--key-type：不支持 `{other}`（p256 或 rsa2048）"
        ))),
    }
}

pub(crate) fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("无法自动打开浏览器（{e}），请手动打开上面的链接");
    }
}

/// Parses the arguments, runs, and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match run(cli, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ Error::Usage(_)) => {
            eprintln!("错误：{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::FAILURE
        }
    }
}
