//! The window (图 2.5–2.7, 2.16): the inserted keys and their certificates,
//! 办事大厅 with the businesses the server offers, 证书变更, and PIN change.
//!
//! `draw` only paints a `View` and records what was clicked, so it is tested
//! without a display (egui_kittest); a worker thread owns the token and the
//! network and sends back what changed. The worker watches the drivers' keys,
//! so the window refreshes when a key is inserted or removed.
//!
//! - `view`: what the window shows and what was clicked;
//! - `draw`: the frame around the pages (title, tabs, message);
//! - `keys`, `hall`, `pin`, `pickup`, `unlock`: the pages 我的证书, 办事大厅,
//!   修改 PIN, 写入证书 (写入码), 找回密码;
//! - `widgets`: what the pages share (a certificate's table, a PIN field);
//! - `fonts`: the CJK font, so Chinese is drawn;
//! - `worker`: the thread that owns the token and the network (`jobs`: its
//!   businesses beyond the re-keys); `lines`:
//!   what it reads from the keys and the server, as the window lists it;
//! - `app`: the window's state between the view and the worker;
//! - `window`: opening the window; `single`: one window per user and
//!   platform, a second start handing its page to the first.

mod app;
mod draw;
mod fonts;
mod hall;
mod jobs;
mod keys;
mod lines;
mod pickup;
mod pin;
mod revoke;
mod seal_image;
mod single;
mod unlock;
mod view;
mod widgets;
mod window;
mod worker;

pub use app::App;
pub use draw::draw;
pub use eframe::egui;
pub use fonts::{CJK_FONTS, cjk_font, install_cjk_font};
pub use view::{Action, CertLine, HallEntry, Page, SealPng, TokenLine, View};
pub use window::run;
