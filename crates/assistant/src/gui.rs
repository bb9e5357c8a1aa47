//! The window (图 2.5–2.7, 2.16): the inserted keys and their certificates,
//! 办事大厅 with the businesses the server offers, 证书变更, and PIN change.
//!
//! `draw` only paints a `View` and records what was clicked, so it is tested
//! without a display (egui_kittest); a worker thread owns the token and the
//! network and sends back what changed. The worker watches the module's slots,
//! so the window refreshes when a key is inserted or removed.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

pub use eframe::egui;
use secrecy::SecretString;

use crate::change::{self, Outcome};
use crate::client::Client;
use crate::token::{KeyKind, Module, Token};

/// Fonts tried in order for Chinese text (Debian's WenQuanYi and Droid).
pub const CJK_FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// Adds a CJK font after egui's Latin one, so Chinese is drawn, not boxes.
pub fn install_cjk_font(ctx: &egui::Context, bytes: Vec<u8>) {
    let mut fonts = egui::FontDefinitions::default();
    fonts
        .font_data
        .insert("cjk".into(), Arc::new(egui::FontData::from_owned(bytes)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
}

/// The first CJK font found on this machine.
pub fn cjk_font() -> Option<Vec<u8>> {
    CJK_FONTS.iter().find_map(|p| std::fs::read(p).ok())
}

/// One certificate as the window lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertLine {
    pub holder: String,
    pub serial: String,
    pub issuer: String,
    pub validity: String,
    /// From the server once signed in: 有效 / 已吊销 / 已过期, and applications.
    pub status: String,
}

/// One inserted key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenLine {
    pub label: String,
    pub warning: Option<String>,
    pub certs: Vec<CertLine>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Page {
    #[default]
    Keys,
    Hall,
    Pin,
}

/// What the holder asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    ShowHall,
    /// 证书变更 or 在线延期 (`change::REKEYED`).
    Rekey(&'static str),
    ChangePin,
}

/// Everything the window shows.
#[derive(Debug, Default)]
pub struct View {
    pub server: String,
    pub tokens: Vec<TokenLine>,
    pub hall: Vec<(String, String)>,
    pub page: Page,
    pub pin: String,
    pub old_pin: String,
    pub new_pin: String,
    pub signed_in: bool,
    pub busy: bool,
    pub message: Option<String>,
    /// Clicks not yet handed to the worker.
    pub actions: Vec<Action>,
}

/// Paints the window and records clicks in `view.actions`.
pub fn draw(ui: &mut egui::Ui, v: &mut View) {
    ui.horizontal(|ui| {
        ui.heading("数字证书助手");
        ui.label(format!("服务器：{}", v.server));
    });
    ui.horizontal(|ui| {
        for (page, name) in [
            (Page::Keys, "我的证书"),
            (Page::Hall, "办事大厅"),
            (Page::Pin, "修改 PIN"),
        ] {
            if ui.selectable_label(v.page == page, name).clicked() {
                v.page = page;
                if page == Page::Hall {
                    v.actions.push(Action::ShowHall);
                }
            }
        }
    });
    ui.separator();
    if let Some(m) = &v.message {
        ui.label(m.as_str());
        ui.separator();
    }
    match v.page {
        Page::Keys => keys(ui, v),
        Page::Hall => hall(ui, v),
        Page::Pin => pin(ui, v),
    }
    if v.busy {
        ui.label("正在处理，请勿拔出证书介质……");
    }
}

fn keys(ui: &mut egui::Ui, v: &mut View) {
    if v.tokens.is_empty() {
        ui.label("未检测到证书介质，请插入 USB Key");
        return;
    }
    for t in &v.tokens {
        ui.strong(format!("证书介质：{}", t.label));
        if let Some(w) = &t.warning {
            ui.colored_label(egui::Color32::from_rgb(0xb0, 0x3a, 0x2e), w.as_str());
        }
        for c in &t.certs {
            egui::Grid::new(("cert", c.serial.as_str()))
                .num_columns(2)
                .show(ui, |ui| {
                    for (k, val) in [
                        ("持有人", &c.holder),
                        ("序列号", &c.serial),
                        ("颁发者", &c.issuer),
                        ("有效期", &c.validity),
                        ("状态", &c.status),
                    ] {
                        ui.label(k);
                        ui.label(val.as_str());
                        ui.end_row();
                    }
                });
            ui.separator();
        }
    }
    if !v.signed_in {
        ui.horizontal(|ui| {
            let label = ui.label("PIN：");
            ui.add(egui::TextEdit::singleline(&mut v.pin).password(true))
                .labelled_by(label.id);
            if ui.add_enabled(!v.busy, egui::Button::new("登录")).clicked() {
                v.actions.push(Action::SignIn);
            }
        });
    }
}

fn hall(ui: &mut egui::Ui, v: &mut View) {
    ui.heading("办事大厅");
    if v.hall.is_empty() {
        ui.label("正在读取服务器提供的业务……");
    }
    for (key, name) in v.hall.clone() {
        let rekey = change::REKEYED.into_iter().find(|b| *b == key);
        let enabled = !v.busy && rekey.is_some();
        let button = ui.add_enabled(enabled, egui::Button::new(name.as_str()));
        if button.clicked()
            && let Some(business) = rekey
        {
            if v.signed_in {
                v.actions.push(Action::Rekey(business));
            } else {
                v.message = Some("请先在“我的证书”中输入 PIN 登录".into());
                v.page = Page::Keys;
            }
        }
    }
    ui.label("其他业务请在网上服务平台办理后，再回到这里完成证书更新。");
}

fn pin(ui: &mut egui::Ui, v: &mut View) {
    egui::Grid::new("pin").num_columns(2).show(ui, |ui| {
        let label = ui.label("当前 PIN");
        ui.add(egui::TextEdit::singleline(&mut v.old_pin).password(true))
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("新 PIN（6–16 位）");
        ui.add(egui::TextEdit::singleline(&mut v.new_pin).password(true))
            .labelled_by(label.id);
        ui.end_row();
    });
    if ui
        .add_enabled(!v.busy, egui::Button::new("修改 PIN"))
        .clicked()
    {
        v.actions.push(Action::ChangePin);
    }
}

/// Work for the worker thread. PINs travel as secrets and are dropped after use.
enum Job {
    SignIn(SecretString),
    Hall,
    Rekey(&'static str),
    ChangePin(SecretString, SecretString),
}

/// What the worker tells the window.
enum Update {
    Tokens(Vec<TokenLine>),
    Hall(Vec<(String, String)>),
    SignedIn(bool),
    Done(String),
}

fn cert_line(der: &[u8]) -> CertLine {
    use der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return CertLine::default();
    };
    let tbs = cert.tbs_certificate();
    CertLine {
        holder: tbs.subject().to_string(),
        serial: change::serial_of(der).unwrap_or_default(),
        issuer: tbs.issuer().to_string(),
        validity: format!(
            "{} 至 {}",
            tbs.validity().not_before,
            tbs.validity().not_after
        ),
        status: "登录后显示".into(),
    }
}

struct Worker {
    module: Module,
    client: Client,
    token: Option<Token>,
    tx: Sender<Update>,
    ctx: egui::Context,
}

impl Worker {
    fn send(&self, u: Update) {
        let _ = self.tx.send(u);
        self.ctx.request_repaint();
    }

    /// The keys present, with the server's word on each certificate once
    /// signed in.
    fn tokens(&self) -> Vec<TokenLine> {
        let Ok(infos) = self.module.tokens() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for info in infos {
            let mut line = TokenLine {
                label: info.label.clone(),
                warning: info.pin_warning().map(str::to_string),
                certs: Vec::new(),
            };
            match (&self.token, self.module.open(info.slot)) {
                (Some(t), _) => {
                    for h in change::holders(t).unwrap_or_default() {
                        let mut c = cert_line(&h.cert.der);
                        c.status = match self.client.status(&h) {
                            Ok(st) => {
                                let mut s = match st.status.as_str() {
                                    "valid" => "有效".to_string(),
                                    "revoked" => "已吊销".to_string(),
                                    _ => "已过期".to_string(),
                                };
                                for a in &st.applications {
                                    s.push_str(&format!(
                                        "；{}：{}",
                                        a.business_name, a.state_label
                                    ));
                                }
                                if let Some(line) = st.renewal_line() {
                                    s.push('；');
                                    s.push_str(&line);
                                }
                                s
                            }
                            Err(e) => e.to_string(),
                        };
                        line.certs.push(c);
                    }
                }
                (None, Ok(t)) => {
                    for c in t.certificates().unwrap_or_default() {
                        line.certs.push(cert_line(&c.der));
                    }
                }
                (None, Err(_)) => {}
            }
            out.push(line);
        }
        out
    }

    fn run(mut self, jobs: Receiver<Job>) {
        let mut seen = Vec::new();
        loop {
            match jobs.recv_timeout(Duration::from_secs(2)) {
                Ok(job) => self.handle(job),
                Err(RecvTimeoutError::Timeout) => {
                    // A key inserted or pulled out: refresh.
                    let now: Vec<String> = self
                        .module
                        .tokens()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| t.serial)
                        .collect();
                    if now != seen {
                        if now.len() < seen.len() {
                            self.token = None;
                            self.send(Update::SignedIn(false));
                        }
                        seen = now;
                        let t = self.tokens();
                        self.send(Update::Tokens(t));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn handle(&mut self, job: Job) {
        match job {
            Job::SignIn(pin) => {
                let result = self
                    .module
                    .tokens()
                    .map_err(|e| e.to_string())
                    .and_then(|ts| {
                        ts.into_iter()
                            .next()
                            .ok_or_else(|| "未检测到证书介质，请插入 USB Key".to_string())
                    })
                    .and_then(|info| self.module.open(info.slot).map_err(|e| e.to_string()))
                    .and_then(|t| t.login(&pin).map(|()| t).map_err(|e| e.to_string()));
                match result {
                    Ok(t) => {
                        self.token = Some(t);
                        self.send(Update::SignedIn(true));
                        let t = self.tokens();
                        self.send(Update::Tokens(t));
                        self.send(Update::Done("已登录".into()));
                    }
                    Err(e) => self.send(Update::Done(e)),
                }
            }
            Job::Hall => match self.client.businesses() {
                Ok(b) => self.send(Update::Hall(
                    b.into_iter().map(|b| (b.key, b.name)).collect(),
                )),
                Err(e) => self.send(Update::Done(e.to_string())),
            },
            Job::Rekey(business) => {
                let Some(token) = &self.token else {
                    self.send(Update::Done("请先输入 PIN 登录".into()));
                    return;
                };
                let text = match change::run(token, &self.client, None, KeyKind::P256, business) {
                    Ok(Outcome::Opened { url }) => {
                        crate::cli::open_browser(&url);
                        format!("已在浏览器中打开基本信息表单：{url}")
                    }
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
                let t = self.tokens();
                self.send(Update::Tokens(t));
                self.send(Update::Done(text));
            }
            Job::ChangePin(old, new) => {
                let text = match self
                    .module
                    .tokens()
                    .ok()
                    .and_then(|ts| ts.into_iter().next())
                {
                    None => "未检测到证书介质，请插入 USB Key".to_string(),
                    Some(info) => match self.module.open(info.slot).and_then(|t| {
                        t.login(&old)?;
                        t.change_pin(&old, &new)
                    }) {
                        Ok(()) => "PIN 已修改".to_string(),
                        Err(e) => e.to_string(),
                    },
                };
                self.send(Update::Done(text));
            }
        }
    }
}

/// The window, with its worker.
pub struct App {
    pub view: View,
    jobs: Sender<Job>,
    updates: Receiver<Update>,
}

impl App {
    pub fn new(
        ctx: &egui::Context,
        module: Module,
        client: Client,
        server: &str,
        page: Page,
    ) -> App {
        let (jobs, job_rx) = mpsc::channel();
        let (tx, updates) = mpsc::channel();
        let worker = Worker {
            module,
            client,
            token: None,
            tx,
            ctx: ctx.clone(),
        };
        let first = worker.tokens();
        std::thread::spawn(move || worker.run(job_rx));
        let mut view = View {
            server: server.to_string(),
            tokens: first,
            page,
            ..View::default()
        };
        if page == Page::Hall {
            view.actions.push(Action::ShowHall);
        }
        App {
            view,
            jobs,
            updates,
        }
    }

    fn pump(&mut self) {
        while let Ok(u) = self.updates.try_recv() {
            match u {
                Update::Tokens(t) => self.view.tokens = t,
                Update::Hall(h) => self.view.hall = h,
                Update::SignedIn(s) => self.view.signed_in = s,
                Update::Done(m) => {
                    self.view.busy = false;
                    self.view.message = Some(m);
                }
            }
        }
        for a in std::mem::take(&mut self.view.actions) {
            let job = match a {
                Action::SignIn => {
                    Job::SignIn(SecretString::from(std::mem::take(&mut self.view.pin)))
                }
                Action::ShowHall => Job::Hall,
                Action::Rekey(business) => Job::Rekey(business),
                Action::ChangePin => Job::ChangePin(
                    SecretString::from(std::mem::take(&mut self.view.old_pin)),
                    SecretString::from(std::mem::take(&mut self.view.new_pin)),
                ),
            };
            if a != Action::ShowHall {
                self.view.busy = true;
            }
            let _ = self.jobs.send(job);
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.pump();
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| draw(ui, &mut self.view));
        });
        self.pump();
    }
}

/// Opens the window on `page` (blocks until it is closed).
pub fn run(module: Module, server: &str, page: Page) -> Result<(), crate::Error> {
    let client = Client::new(server)?;
    let font = cjk_font();
    let server = server.to_string();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("数字证书助手")
            .with_inner_size([760.0, 560.0]),
        ..Default::default()
    };
    eframe::run_native(
        "certhall-assistant",
        options,
        Box::new(move |cc| {
            if let Some(bytes) = font {
                install_cjk_font(&cc.egui_ctx, bytes);
            }
            if let Some(z) = std::env::var("CERTHALL_ASSISTANT_ZOOM")
                .ok()
                .and_then(|z| z.parse::<f32>().ok())
            {
                cc.egui_ctx.set_zoom_factor(z);
            }
            cc.egui_ctx.set_theme(egui::Theme::Light);
            Ok(Box::new(App::new(
                &cc.egui_ctx,
                module,
                client,
                &server,
                page,
            )))
        }),
    )
    .map_err(|e| crate::Error::Usage(format!("无法打开窗口：{e}")))
}
