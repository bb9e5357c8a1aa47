//! An SKF library on its own thread. Vendors rarely say whether their
//! library may be called from several threads, and the `skf` crate keeps a
//! `Library` and everything opened from it on one thread; the window's
//! worker and its local bridge both ask about keys, so each library gets a
//! thread of its own and every call is a job sent to it.
//!
//! The thread keeps at most one session: the device the holder logged in
//! to, connected, its application open, so the login lasts as it does on a
//! PKCS#11 token (SKF keeps the PIN's state on the application's handle;
//! the assistant never keeps the PIN). Calls for other devices connect for
//! the call alone. The session ends when the token that logged in is
//! dropped, when another login starts, or when the device is pulled out.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};

use skf::{App, Device, Library, SkfError};

use super::errors::skf_error;
use crate::error::Error;

/// The application the assistant uses on a device that has several, and
/// creates on a blank one.
pub(super) const APP_NAME: &str = "CERTHALL";

/// A device with its application (none on a blank key).
pub(super) struct Ctx<'a> {
    pub(super) dev: &'a Device<'a>,
    pub(super) app: Option<&'a App<'a>>,
}

impl Ctx<'_> {
    /// The application, or the key is blank.
    pub(super) fn app(&self) -> Result<&App<'_>, SkfError> {
        self.app.ok_or(SkfError::Sar {
            function: "SKF_OpenApplication",
            code: skf::sar::SAR_APPLICATION_NOT_EXISTS,
        })
    }
}

/// Work for the library's thread; returns whether the session on its
/// device must end (the device is gone, or the login failed).
pub(super) type Job = Box<dyn for<'a> FnOnce(Result<Ctx<'a>, SkfError>) -> bool + Send>;

pub(super) enum Call {
    /// Runs on the device: in the session if it is the session's device,
    /// else on a connection made for this call.
    Device { device: String, job: Job },
    /// Makes the device the session's (ending any other), then runs `job`
    /// (the login) in it; `owner` is the token logging in.
    Open {
        device: String,
        owner: u64,
        job: Job,
    },
    /// Ends the session `owner` opened, if it is still open (a token pulled
    /// out and dropped must not end the session of the key plugged in next).
    Close { owner: u64 },
    /// Runs with the library alone (listing devices).
    Library(Box<dyn FnOnce(&Library) + Send>),
}

/// A loaded SKF library and the thread that calls it. Clones share both;
/// the thread ends once the last clone is gone.
#[derive(Clone)]
pub struct SkfDriver {
    calls: Sender<Call>,
}

impl SkfDriver {
    /// Loads the library at `path` on a new thread: a file that is not an
    /// SKF library is refused here, naming the functions it lacks.
    pub fn load(path: &Path) -> Result<SkfDriver, Error> {
        let (calls, inbox) = mpsc::channel();
        let (ready, loaded) = mpsc::sync_channel(1);
        let lib_path = path.to_path_buf();
        std::thread::Builder::new()
            .name("skf".into())
            .spawn(move || match Library::load(&lib_path) {
                Ok(lib) => {
                    let _ = ready.send(Ok(()));
                    serve(&lib, &inbox);
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            })
            .map_err(|e| Error::Token(format!("无法启动 SKF 驱动线程：{e}")))?;
        match loaded.recv() {
            Ok(Ok(())) => Ok(SkfDriver { calls }),
            Ok(Err(SkfError::Missing(names))) => Err(Error::Usage(format!(
                "{} 不是 SKF 驱动库：缺少 {}",
                path.display(),
                names.join("、")
            ))),
            Ok(Err(e)) => Err(Error::Usage(format!(
                "无法加载 SKF 驱动库 {}：{e}",
                path.display()
            ))),
            Err(_) => Err(Error::Token("SKF 驱动线程意外结束".into())),
        }
    }

    pub(super) fn send(&self, call: Call) -> Result<(), Error> {
        self.calls
            .send(call)
            .map_err(|_| Error::Token("SKF 驱动线程已结束".into()))
    }

    /// Runs `f` with the library on its thread.
    pub(super) fn with_library<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Library) -> Result<R, SkfError> + Send + 'static,
    ) -> Result<R, Error> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Call::Library(Box::new(move |lib| {
            let _ = tx.send(f(lib));
        })))?;
        answer(rx)
    }

    /// Runs `f` on `device` (in the session if it is the session's), or,
    /// with `open` (the token logging in), makes it the session's first; a
    /// failing `f` then ends the session at once.
    pub(super) fn on_device<R: Send + 'static>(
        &self,
        device: &str,
        open: Option<u64>,
        f: impl for<'a> FnOnce(&Ctx<'a>) -> Result<R, SkfError> + Send + 'static,
    ) -> Result<R, Error> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |ctx| {
            let result = ctx.and_then(|c| f(&c));
            let end = match &result {
                Err(e) => open.is_some() || e.code() == Some(skf::sar::SAR_DEVICE_REMOVED),
                Ok(_) => false,
            };
            let _ = tx.send(result);
            end
        });
        let device = device.to_string();
        self.send(match open {
            Some(owner) => Call::Open { device, owner, job },
            None => Call::Device { device, job },
        })?;
        answer(rx)
    }
}

fn answer<R>(rx: Receiver<Result<R, SkfError>>) -> Result<R, Error> {
    rx.recv()
        .map_err(|_| Error::Token("SKF 驱动线程意外结束".into()))?
        .map_err(skf_error)
}

/// The thread's loop: until every sender is gone.
fn serve(lib: &Library, calls: &Receiver<Call>) {
    let mut carried = None;
    loop {
        let call = match carried.take() {
            Some(call) => call,
            None => match calls.recv() {
                Ok(call) => call,
                Err(_) => return,
            },
        };
        match call {
            Call::Open { device, owner, job } => {
                carried = session(lib, &device, owner, job, calls);
            }
            Call::Device { device, job } => once(lib, &device, job),
            Call::Library(f) => f(lib),
            Call::Close { .. } => {}
        }
    }
}

/// The application the assistant uses on a device, if it has one.
fn pick_app<'d>(dev: &'d Device<'d>) -> Result<Option<App<'d>>, SkfError> {
    let apps = dev.apps()?;
    let name = apps
        .iter()
        .find(|a| a.eq_ignore_ascii_case(APP_NAME))
        .or_else(|| apps.first());
    name.map(|n| dev.open_app(n)).transpose()
}

/// `job` on a connection made for it.
fn once(lib: &Library, device: &str, job: Job) {
    let dev = match lib.connect(device) {
        Ok(dev) => dev,
        Err(e) => {
            job(Err(e));
            return;
        }
    };
    match pick_app(&dev) {
        Ok(app) => {
            job(Ok(Ctx {
                dev: &dev,
                app: app.as_ref(),
            }));
        }
        Err(e) => {
            job(Err(e));
        }
    }
}

/// A session on `device`, `first` run in it, then the calls that follow
/// until it ends; returns the call that ended it by opening another.
fn session(
    lib: &Library,
    device: &str,
    owner: u64,
    first: Job,
    calls: &Receiver<Call>,
) -> Option<Call> {
    let dev = match lib.connect(device) {
        Ok(dev) => dev,
        Err(e) => {
            first(Err(e));
            return None;
        }
    };
    let app = match pick_app(&dev) {
        Ok(app) => app,
        Err(e) => {
            first(Err(e));
            return None;
        }
    };
    let ctx = || Ctx {
        dev: &dev,
        app: app.as_ref(),
    };
    if first(Ok(ctx())) {
        return None;
    }
    // Every token logged in to this device shares the session (the key has
    // one security state, as a PKCS#11 token has one login).
    let mut owners = vec![owner];
    loop {
        match calls.recv().ok()? {
            Call::Device { device: d, job } if d == device => {
                if job(Ok(ctx())) {
                    return None;
                }
            }
            Call::Device { device: d, job } => once(lib, &d, job),
            Call::Library(f) => f(lib),
            Call::Open {
                device: d,
                owner: o,
                job,
            } if d == device => {
                // Another login on the same key (修改 PIN in the window while
                // signed in): in this session, which stays for the others.
                if !job(Ok(ctx())) {
                    owners.push(o);
                }
            }
            Call::Close { owner: o } => {
                owners.retain(|&x| x != o);
                if owners.is_empty() {
                    return None;
                }
            }
            open @ Call::Open { .. } => return Some(open),
        }
    }
}
