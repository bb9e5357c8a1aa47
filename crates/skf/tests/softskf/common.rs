//! The library, the devices directory and the devices the tests use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use skf::{App, Device, Library, PinRole};
use softskf::pin::Pin;
use softskf::sgd::SECURE_ANYONE_ACCOUNT;
use softskf::store::{AppRecord, Name, Root};

pub const APP: &str = "certhall";
pub const ADMIN_PIN: &str = "admin-12345678";
pub const USER_PIN: &str = "user-123456";

/// The devices directory of this run, `SOFTSKF_DIR` pointing at it. Made
/// once, before any test loads the library.
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skf-devices");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        set_dir(&root);
        root
    })
}

#[expect(
    unsafe_code,
    reason = "setting the environment is unsafe in edition 2024"
)]
fn set_dir(root: &Path) {
    // SAFETY: set once, under the `OnceLock` every test goes through before
    // it loads the library (the variable's only reader); no test reads the
    // environment otherwise.
    unsafe { std::env::set_var("SOFTSKF_DIR", root) };
}

/// libsoftskf.so, loaded for one test (a `Library` is not `Sync`; loading
/// the same file again only counts a reference).
pub fn library() -> Library {
    let _ = root();
    Library::load(library_path()).unwrap()
}

/// `libsoftskf.so` as cargo built it for this test binary: the
/// dev-dependency on softskf builds its cdylib into the `deps` directory
/// that holds this binary, from the same sources as the rlib. Should a
/// cargo not do so, it is built with `cargo build -p softskf` into this
/// target directory (`target/debug/libsoftskf.so`, which after a
/// `cargo test` alone may be stale, hence built explicitly).
pub fn library_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let beside = exe.with_file_name("libsoftskf.so");
        if beside.is_file() {
            return beside;
        }
        let debug = exe.parent().and_then(Path::parent).unwrap();
        let target = debug.parent().unwrap();
        let status = Command::new(env!("CARGO"))
            .args(["build", "-j1", "-p", "softskf", "--lib", "--target-dir"])
            .arg(target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building libsoftskf.so failed");
        debug.join("libsoftskf.so")
    })
    .clone()
}

/// A blank device, as a vendor sells it: no application.
pub fn blank_device(name: &str) -> PathBuf {
    let device = Root::new(root())
        .create_device(name, &format!("{name} label"), "SN-SKF-0001", &[])
        .unwrap();
    device.path().to_owned()
}

/// A device with application [`APP`] and its PINs, `retries` tries each.
pub fn device_with_app(name: &str, retries: u32) -> PathBuf {
    let app = AppRecord::new(
        Name::new(APP.as_bytes(), 32).unwrap(),
        (&Pin::new(ADMIN_PIN.as_bytes()).unwrap(), retries),
        (&Pin::new(USER_PIN.as_bytes()).unwrap(), retries),
        SECURE_ANYONE_ACCOUNT,
    )
    .unwrap();
    let device = Root::new(root())
        .create_device(name, name, "SN-SKF-0002", &[app])
        .unwrap();
    device.path().to_owned()
}

/// [`APP`] opened and logged in with the user PIN.
pub fn logged_in<'d>(device: &'d Device<'d>) -> App<'d> {
    let app = device.open_app(APP).unwrap();
    app.verify_pin(PinRole::User, USER_PIN).unwrap();
    app
}

/// Every file under `dir` and its bytes: what a refusal must not change.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}
