//! A SoftHSM2 token standing in for a holder's USB key: a token directory and
//! `SOFTHSM2_CONF` of its own, so tests never see each other's keys.
//! `softhsm2-util` and OpenSC's `pkcs11-tool` work on it from outside, as
//! checkers of what the assistant writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The user PIN every test token starts with.
pub const PIN: &str = "123456";
pub const SO_PIN: &str = "87654321";

pub struct Token {
    _dir: TempDir,
    /// SOFTHSM2_CONF with the key inserted.
    pub conf: PathBuf,
    /// SOFTHSM2_CONF of the same reader with no key in it.
    pub unplugged: PathBuf,
}

impl Token {
    /// An initialised token labelled `label`, with [`PIN`] and [`SO_PIN`].
    pub fn new(label: &str) -> Token {
        let t = Token::empty();
        t.tool(
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                PIN,
                "--so-pin",
                SO_PIN,
            ],
        );
        t
    }

    /// A reader with no key in it (both configurations see no token).
    pub fn empty() -> Token {
        let dir = crate::temp_dir();
        let conf_for = |name: &str| {
            let tokens = dir.path().join(name);
            std::fs::create_dir_all(&tokens).unwrap();
            let conf = dir.path().join(format!("{name}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                    tokens.display()
                ),
            )
            .unwrap();
            conf
        };
        let conf = conf_for("tokens");
        let unplugged = conf_for("empty");
        Token {
            _dir: dir,
            conf,
            unplugged,
        }
    }

    /// Runs a tool on this token; panics with its stderr if it fails.
    pub fn tool(&self, program: &str, args: &[&str]) -> String {
        let out = Command::new(program)
            .env("SOFTHSM2_CONF", &self.conf)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("{program}: {e} (scripts/test installs softhsm2 and opensc)")
            });
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `pkcs11-tool` logged in with [`PIN`].
    pub fn p11(&self, args: &[&str]) -> String {
        let mut all = vec!["--module", MODULE, "--login", "--pin", PIN];
        all.extend_from_slice(args);
        self.tool("pkcs11-tool", &all)
    }

    /// The certificate object labelled `label`, read out with `pkcs11-tool`
    /// and written to `pem` as PEM.
    pub fn read_certificate(&self, label: &str, pem: &Path) {
        let der = pem.with_extension("from-token.der");
        self.p11(&[
            "--read-object",
            "--type",
            "cert",
            "--label",
            label,
            "--output-file",
            der.to_str().expect("utf-8 path"),
        ]);
        crate::openssl::der_to_pem(&der, pem);
    }

    /// The CA's counter wrote the holder's first key pair and certificate
    /// (PEM files) as CKA_ID 01.
    pub fn import(&self, key: &Path, cert: &Path) {
        let key_der = key.with_extension("p8.der");
        let cert_der = cert.with_extension("der");
        crate::openssl::ok(&[
            "pkey",
            "-in",
            key.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            key_der.to_str().unwrap(),
        ]);
        crate::openssl::ok(&[
            "x509",
            "-in",
            cert.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            cert_der.to_str().unwrap(),
        ]);
        for (file, kind) in [(&key_der, "privkey"), (&cert_der, "cert")] {
            self.p11(&[
                "--write-object",
                file.to_str().unwrap(),
                "--type",
                kind,
                "--id",
                "01",
                "--label",
                "holder",
            ]);
        }
    }

    /// The token's serial number, as `pkcs11-tool --list-token-slots` shows it.
    pub fn serial(&self) -> String {
        self.tool("pkcs11-tool", &["--module", MODULE, "--list-token-slots"])
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("serial num"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_string())
            .expect("the token's serial")
    }

    /// `pkcs11-tool --list-objects`.
    pub fn objects(&self) -> String {
        self.p11(&["--list-objects"])
    }
}
