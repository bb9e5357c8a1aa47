//! The `openssl` command line: makes keys and CSRs the way a holder's tools
//! would, and checks what certhall produces.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs openssl; returns its output whatever the exit status.
pub fn run(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command line is installed (scripts/test installs it)")
}

/// Runs openssl and panics with its stderr if it fails.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The kinds of holder key a test can ask for.
#[derive(Debug, Clone, Copy)]
pub enum KeyKind {
    P256,
    Rsa(u32),
    Sm2,
    /// A curve we refuse.
    Secp256k1,
}

/// Generates a key and a CSR in `dir`; returns (key path, CSR path).
pub fn key_and_csr(dir: &Path, name: &str, kind: KeyKind) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key"));
    let csr = dir.join(format!("{name}.csr"));
    let k = key.to_str().expect("utf-8 path");
    match kind {
        KeyKind::P256 => ok(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            k,
        ]),
        KeyKind::Secp256k1 => ok(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
            "-out",
            k,
        ]),
        KeyKind::Rsa(bits) => ok(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-out",
            k,
        ]),
        KeyKind::Sm2 => ok(&["genpkey", "-algorithm", "SM2", "-out", k]),
    };
    let c = csr.to_str().expect("utf-8 path");
    match kind {
        KeyKind::Sm2 => ok(&[
            "req",
            "-new",
            "-key",
            k,
            "-sm3",
            "-sigopt",
            "distid:1234567812345678",
            "-subj",
            "/CN=from-the-csr",
            "-out",
            c,
        ]),
        _ => ok(&[
            "req",
            "-new",
            "-key",
            k,
            "-subj",
            "/CN=from-the-csr",
            "-out",
            c,
        ]),
    };
    (key, csr)
}

/// The serial of a PEM certificate as `openssl x509 -serial` prints it.
pub fn serial_of(cert_pem: &Path) -> String {
    ok(&[
        "x509",
        "-in",
        cert_pem.to_str().expect("utf-8 path"),
        "-noout",
        "-serial",
    ])
    .trim()
    .trim_start_matches("serial=")
    .to_string()
}

/// The end of validity of a PEM certificate as `openssl x509 -enddate` prints
/// it in ISO 8601: `YYYY-MM-DD HH:MM:SSZ`.
pub fn not_after_iso(cert_pem: &Path) -> String {
    ok(&[
        "x509",
        "-in",
        cert_pem.to_str().expect("utf-8 path"),
        "-noout",
        "-enddate",
        "-dateopt",
        "iso_8601",
    ])
    .trim()
    .trim_start_matches("notAfter=")
    .to_string()
}

/// Converts a DER certificate to PEM.
pub fn der_to_pem(der: &Path, pem: &Path) {
    ok(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        der.to_str().expect("utf-8 path"),
        "-out",
        pem.to_str().expect("utf-8 path"),
    ]);
}

/// The subject line of a PEM certificate, Chinese left as UTF-8.
pub fn subject_utf8(cert_pem: &Path) -> String {
    ok(&[
        "x509",
        "-in",
        cert_pem.to_str().expect("utf-8 path"),
        "-noout",
        "-subject",
        "-nameopt",
        "utf8",
    ])
}

/// Asks the OCSP responder at `url` about `serial` (hex, as `-serial` prints
/// it) the way a relying party would; returns openssl's report.
pub fn ocsp_by_serial(issuing_pem: &Path, chain_pem: &Path, url: &str, serial: &str) -> String {
    ok(&[
        "ocsp",
        "-issuer",
        issuing_pem.to_str().expect("utf-8 path"),
        "-serial",
        &format!("0x{serial}"),
        "-url",
        url,
        "-CAfile",
        chain_pem.to_str().expect("utf-8 path"),
    ])
}

/// The private scalar of an SM2 (or any 256-bit EC) key in `pem`, as
/// `openssl pkey -text` prints it: 32 bytes, big-endian.
/// The public key (lower-case hex of the SEC1 point) in the `-text` of an
/// EC certificate, as OpenSSL prints it (`pub: 04:…`).
pub fn public_point_hex(cert_text: &str) -> String {
    cert_text
        .split("pub:")
        .nth(1)
        .and_then(|rest| rest.split("ASN1 OID").next())
        .expect("openssl printed the public key")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_ascii_lowercase()
}

pub fn sm2_private_scalar(pem: &Path) -> [u8; 32] {
    let text = ok(&[
        "pkey",
        "-in",
        pem.to_str().expect("utf-8 path"),
        "-noout",
        "-text",
    ]);
    let hex: String = text
        .split("priv:")
        .nth(1)
        .and_then(|rest| rest.split("pub:").next())
        .expect("openssl printed the private key")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let bytes = &bytes[bytes.len().saturating_sub(32)..];
    let mut scalar = [0u8; 32];
    scalar[32 - bytes.len()..].copy_from_slice(bytes);
    scalar
}
