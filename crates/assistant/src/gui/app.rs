//! The window's state: the view, the channel of jobs to the worker and of
//! updates from it.

use std::sync::mpsc::{self, Receiver, Sender};

use eframe::egui;
use secrecy::SecretString;

use super::draw::draw;
use super::view::{Action, Page, View};
use super::worker::{Job, Update, Worker};
use crate::client::Client;
use crate::token::Drivers;

/// The window, with its worker.
pub struct App {
    pub view: View,
    jobs: Sender<Job>,
    updates: Receiver<Update>,
    /// Pages handed over by a second start (打开证书助手 clicked again).
    raised: Option<Receiver<Page>>,
}

impl App {
    pub fn new(
        ctx: &egui::Context,
        drivers: Drivers,
        client: Client,
        server: &str,
        page: Page,
    ) -> App {
        let (jobs, job_rx) = mpsc::channel();
        let (tx, updates) = mpsc::channel();
        let worker = Worker::new(drivers, client, tx, ctx.clone());
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
            raised: None,
        }
    }

    /// Later starts hand their page over through `pages`.
    pub fn raised_by(mut self, pages: Receiver<Page>) -> App {
        self.raised = Some(pages);
        self
    }

    /// A page handed over: shown, and the window brought to the front.
    fn raise(&mut self, ctx: &egui::Context) {
        let Some(pages) = &self.raised else {
            return;
        };
        while let Ok(page) = pages.try_recv() {
            self.view.page = page;
            if page == Page::Hall {
                self.view.actions.push(Action::ShowHall);
            }
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        }
    }

    /// Takes in what the worker sent, and hands it the clicks.
    fn pump(&mut self) {
        while let Ok(u) = self.updates.try_recv() {
            match u {
                Update::Tokens(t) => self.view.tokens = t,
                Update::Hall(h) => self.view.hall = h,
                Update::SignedIn(true) => self.view.signed_in_now(),
                Update::SignedIn(false) => self.view.signed_in = false,
                Update::Link(link) => self.view.link = link,
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
                Action::Pickup => Job::Pickup(std::mem::take(&mut self.view.code)),
                Action::Seal => Job::Seal,
                Action::RevokeCode => Job::RevokeCode,
                Action::RevokeInBrowser => Job::RevokeInBrowser,
                Action::RevokeConfirm => Job::RevokeConfirm(crate::revoke::RevokeRequest {
                    reason: self.view.revoke_reason.unwrap_or_default().to_string(),
                    note: self.view.revoke_note.trim().to_string(),
                    code: std::mem::take(&mut self.view.sms).trim().to_string(),
                }),
                Action::UnlockStart => Job::UnlockStart,
                Action::UnlockFinish => {
                    self.view.new_pin2.clear();
                    Job::UnlockFinish(
                        SecretString::from(std::mem::take(&mut self.view.sms)),
                        SecretString::from(std::mem::take(&mut self.view.new_pin)),
                    )
                }
            };
            if a != Action::ShowHall {
                self.view.busy = true;
                self.view.link = None;
            }
            let _ = self.jobs.send(job);
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.raise(ui.ctx());
        self.pump();
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| draw(ui, &mut self.view));
        });
        self.pump();
    }
}
