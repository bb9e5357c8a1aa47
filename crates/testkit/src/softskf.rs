//! A software SKF key (softskf, GM/T 0016) standing in for a Chinese SM2 USB
//! key: a devices directory of its own (`SOFTSKF_DIR` for the program
//! under test), so tests never see each other's keys; devices made with
//! softskf's own store, as `softskf-util` makes them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use softskf::pin::Pin;
use softskf::sgd::SECURE_ANYONE_ACCOUNT;
use softskf::store::{AppRecord, Blob, ContainerRecord, Name, PrivateKey, Root};
use tempfile::TempDir;

/// The application the holder's keys carry (as a CA's issuing tool makes
/// it); the assistant creates its own on a blank key.
pub const APP: &str = "CERTHALL";
/// The user PIN every test key starts with.
pub const PIN: &str = "123456";
/// The administrator PIN (the SO PIN's part: 找回密码 unblocks with it).
pub const ADMIN_PIN: &str = "87654321";
/// Tries before a PIN locks.
pub const RETRIES: u32 = 6;

/// A devices directory: the USB ports of one test.
pub struct Keys {
    dir: PathBuf,
    _owned: Option<TempDir>,
}

impl Default for Keys {
    fn default() -> Self {
        Keys::new()
    }
}

impl Keys {
    /// A new directory, removed when dropped.
    pub fn new() -> Keys {
        let owned = crate::temp_dir();
        Keys {
            dir: owned.path().to_owned(),
            _owned: Some(owned),
        }
    }

    /// The directory a parent process made (`SOFTSKF_DIR` of this one).
    pub fn at(dir: &Path) -> Keys {
        Keys {
            dir: dir.to_owned(),
            _owned: None,
        }
    }

    /// `SOFTSKF_DIR` for the program under test.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Plugs in a key named `name` with the application [`APP`], [`PIN`]
    /// and [`ADMIN_PIN`]; `serial` is what the CA escrows it under.
    pub fn plug(&self, name: &str, serial: &str) -> PathBuf {
        let app = AppRecord::new(
            Name::new(APP.as_bytes(), 32).unwrap(),
            (&Pin::new(ADMIN_PIN.as_bytes()).unwrap(), RETRIES),
            (&Pin::new(PIN.as_bytes()).unwrap(), RETRIES),
            SECURE_ANYONE_ACCOUNT,
        )
        .unwrap();
        Root::new(self.dir())
            .create_device(name, &format!("{name} 国密 Key"), serial, &[app])
            .unwrap()
            .path()
            .to_owned()
    }

    /// Writes a signing key pair made outside (the SM2 private key `pem`,
    /// as `openssl genpkey -algorithm SM2` writes it) and its certificate
    /// into the container `container` of `device`, as a CA's counter
    /// writes a key it issued. (softskf makes keys inside; this is the
    /// counter's side of the test, as `softhsm2-util --import` is.)
    pub fn import_signing(&self, device: &str, container: &str, pem: &Path, cert_der: &[u8]) {
        let scalar = crate::openssl::sm2_private_scalar(pem);
        let secret = softskf::crypto::sm2::secret_from_bytes(&scalar).unwrap();
        let dir = Root::new(self.dir()).device(device).unwrap();
        let name = Name::new(APP.as_bytes(), 32).unwrap();
        let mut app = dir
            .load_app(&name)
            .unwrap()
            .expect("the key has the application");
        let mut record = ContainerRecord::new(Name::new(container.as_bytes(), 64).unwrap());
        record.sign_key = Some(PrivateKey::of(&secret));
        record.sign_cert = Some(Blob(cert_der.to_vec()));
        app.containers.push(record);
        dir.save_app(&app).unwrap();
    }

    /// Plugs in a key like [`Keys::plug`] that makes RSA pairs only (its
    /// capabilities name no SM2, as some older U 盾).
    pub fn plug_rsa_only(&self, name: &str, serial: &str) -> PathBuf {
        let dir = self.plug(name, serial);
        let file = dir.join("device.json");
        let text = std::fs::read_to_string(&file).unwrap();
        let open = text
            .trim_end()
            .strip_suffix('}')
            .expect("device.json is an object");
        std::fs::write(&file, format!("{open},\"rsa_only\":true}}")).unwrap();
        dir
    }

    /// Plugs in a key as the vendor sells it: no application.
    pub fn plug_blank(&self, name: &str, serial: &str) -> PathBuf {
        Root::new(self.dir())
            .create_device(name, &format!("{name} 国密 Key"), serial, &[])
            .unwrap()
            .path()
            .to_owned()
    }

    /// Pulls the key out (and throws it away).
    pub fn pull(&self, name: &str) {
        std::fs::remove_dir_all(self.dir().join(name)).unwrap();
    }

    /// What the key `device` holds in its application [`APP`], read from its
    /// folder (as a key's own reader would): the containers and the files.
    pub fn contents(&self, device: &str) -> Contents {
        let dir = Root::new(self.dir()).device(device).unwrap();
        let app = dir
            .load_app(&Name::new(APP.as_bytes(), 32).unwrap())
            .unwrap()
            .expect("the key has the application");
        Contents {
            containers: app
                .containers
                .iter()
                .map(|c| StoredContainer {
                    name: String::from_utf8_lossy(c.name.as_bytes()).into_owned(),
                    has_sign_key: c.sign_key.is_some(),
                    sign_cert: c.sign_cert.as_ref().map(|b| b.0.clone()),
                    has_enc_key: c.enc_key.is_some(),
                    enc_cert: c.enc_cert.as_ref().map(|b| b.0.clone()),
                })
                .collect(),
            files: app
                .files
                .iter()
                .map(|f| {
                    (
                        String::from_utf8_lossy(f.name.as_bytes()).into_owned(),
                        f.data.0.clone(),
                    )
                })
                .collect(),
        }
    }

    /// Every file of the directory and its bytes: what a refusal must leave.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut todo = vec![self.dir().to_owned()];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    files.push((path, bytes));
                }
            }
        }
        files.sort();
        files
    }
}

/// Runs `test` with a devices directory of its own as `SOFTSKF_DIR`.
/// libsoftskf reads the variable when called, and a test cannot set its own
/// environment safely (other threads read it), so the test program runs
/// itself again for `name` alone (its full path, as `--exact` takes it) in a
/// child process with the variable set, and fails if the child does.
pub fn in_own_process(name: &str, test: impl FnOnce(&Keys)) {
    if let Some(dir) = std::env::var_os("SOFTSKF_DIR") {
        test(&Keys::at(Path::new(&dir)));
        return;
    }
    let keys = Keys::new();
    let o = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads", "1"])
        .env("SOFTSKF_DIR", keys.dir())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the test did not run: {text}");
}

/// A key's application as stored.
#[derive(Debug)]
pub struct Contents {
    pub containers: Vec<StoredContainer>,
    /// Name and bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

#[derive(Debug)]
pub struct StoredContainer {
    pub name: String,
    pub has_sign_key: bool,
    pub sign_cert: Option<Vec<u8>>,
    /// 双证书: the encryption key pair a KMC delivered, and its certificate.
    pub has_enc_key: bool,
    pub enc_cert: Option<Vec<u8>>,
}

/// `libsoftskf.so` as cargo built it for the test binary running: the
/// dependency on softskf puts its cdylib in the `deps` directory beside the
/// binary, from the same sources. Should a cargo not do so, it is built with
/// `cargo build -p softskf` into the binary's target directory.
pub fn library() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let beside = exe.with_file_name("libsoftskf.so");
        if beside.is_file() {
            return beside;
        }
        let debug = exe.parent().and_then(Path::parent).unwrap();
        let target = debug.parent().unwrap();
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-j1", "-p", "softskf", "--lib", "--target-dir"])
            .arg(target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building libsoftskf.so failed");
        debug.join("libsoftskf.so")
    })
    .clone()
}
