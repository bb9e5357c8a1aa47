//! Opening the window (one per user and platform: `single`): the local bridge beside it (so the portal's page finds
//! the assistant while the window is open), its size and title, the CJK font,
//! the zoom asked for by `CERTHALL_ASSISTANT_ZOOM`, the light theme.

use eframe::egui;

use super::app::App;
use super::fonts::{cjk_font, install_cjk_font};
use super::single::{self, Claim};
use super::view::Page;
use crate::client::Client;
use crate::error::Error;
use crate::token::Drivers;

/// Opens the window on `page` (blocks until it is closed), with `notice`
/// shown at the top; or, when this user's window for `server` is open
/// already, hands it `page` and returns.
pub fn run(
    drivers: Drivers,
    server: &str,
    page: Page,
    notice: Option<String>,
) -> Result<(), Error> {
    // Without a place for the socket (a home that cannot be written) the
    // window still opens, only without the hand-over.
    let listener = match single::claim(server, page) {
        Ok(Claim::First(listener)) => Some(listener),
        Ok(Claim::Handed) => {
            println!("证书助手已在运行，已切换到它的窗口");
            return Ok(());
        }
        Err(e) => {
            eprintln!("{e}");
            None
        }
    };
    let client = Client::new(server)?;
    crate::bridge::serve_in_background(
        drivers.clone(),
        crate::bridge::DEFAULT_PORT,
        crate::bridge::origin_of(server).into_iter().collect(),
    );
    let font = cjk_font();
    let server = server.to_string();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("数字证书助手")
            .with_inner_size([880.0, 640.0])
            .with_min_inner_size([560.0, 420.0]),
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
            let (raise, raised) = std::sync::mpsc::channel();
            if let Some(listener) = listener {
                single::listen(listener, raise, cc.egui_ctx.clone());
            }
            let mut app = App::new(&cc.egui_ctx, drivers, client, &server, page).raised_by(raised);
            app.view.message = notice;
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| Error::Usage(format!("无法打开窗口：{e}")))
}
