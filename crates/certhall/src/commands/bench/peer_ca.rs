//! The peers' CA: a P-256 CA made with OpenSSL in the scratch directory, as
//! perf-anchors.md set it up, used by `openssl ca` (issuing, `-gencrl`),
//! `openssl ocsp` and `cfssl serve`. Its leaves carry the extensions ours do
//! (KU, EKU, SKI, AKI, AIA, CDP).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::bench_error;
use crate::AppError;

pub struct PeerCa {
    pub dir: PathBuf,
    pub cnf: PathBuf,
    pub crt: PathBuf,
    pub key: PathBuf,
}

pub fn openssl(args: &[&str]) -> Result<String, AppError> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|e| bench_error(format!("openssl: {e}")))?;
    if !out.status.success() {
        return Err(bench_error(format!(
            "openssl {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), AppError> {
    std::fs::write(path, bytes).map_err(|e| bench_error(format!("{}: {e}", path.display())))
}

pub fn p(path: &Path) -> String {
    path.display().to_string()
}

/// A fresh P-256 key and its CSR (`/CN=<name>`) in `dir`; the CSR's path.
pub fn csr(dir: &Path, name: &str) -> Result<PathBuf, AppError> {
    let csr = dir.join(format!("{name}.csr"));
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &p(&dir.join(format!("{name}.key"))),
        "-subj",
        &format!("/CN={name}"),
        "-out",
        &p(&csr),
    ])?;
    Ok(csr)
}

impl PeerCa {
    pub fn new(scratch: &Path) -> Result<PeerCa, AppError> {
        let dir = scratch.join("peer-ca");
        std::fs::create_dir_all(dir.join("certs")).map_err(|e| bench_error(e.to_string()))?;
        let ca = PeerCa {
            cnf: dir.join("ca.cnf"),
            crt: dir.join("ca.crt"),
            key: dir.join("ca.key"),
            dir,
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &p(&ca.key),
            "-out",
            &p(&ca.crt),
            "-subj",
            "/CN=Peer Issuing CA",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ])?;
        write(
            &ca.cnf,
            format!(
                "[ca]\ndefault_ca = peer\n\
                 [peer]\ndir = {d}\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/certs\n\
                 certificate = {crt}\nprivate_key = {key}\nrand_serial = yes\ncrlnumber = $dir/crlnumber\n\
                 default_md = sha256\ndefault_days = 365\ndefault_crl_days = 7\npolicy = any\n\
                 unique_subject = no\ncopy_extensions = none\nx509_extensions = leaf\ncrl_extensions = crl_ext\n\
                 [any]\ncommonName = supplied\n\
                 [leaf]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,nonRepudiation\n\
                 extendedKeyUsage = clientAuth,emailProtection\nsubjectKeyIdentifier = hash\n\
                 authorityKeyIdentifier = keyid\nauthorityInfoAccess = OCSP;URI:http://127.0.0.1/pki/ocsp,caIssuers;URI:http://127.0.0.1/pki/issuing.crt\n\
                 crlDistributionPoints = URI:http://127.0.0.1/pki/crl\n\
                 [crl_ext]\nauthorityKeyIdentifier = keyid:always\n",
                d = ca.dir.display(),
                crt = ca.crt.display(),
                key = ca.key.display(),
            ),
        )?;
        ca.reset()?;
        Ok(ca)
    }

    /// An empty database: `openssl ca` starts from nothing.
    pub fn reset(&self) -> Result<(), AppError> {
        write(&self.dir.join("index.txt"), "")?;
        write(&self.dir.join("index.txt.attr"), "unique_subject = no\n")?;
        write(&self.dir.join("crlnumber"), "01\n")
    }

    fn ca(&self, extra: &[&str]) -> Result<(), AppError> {
        let mut args = vec!["ca", "-batch", "-config", self.cnf.to_str().unwrap_or("")];
        args.extend_from_slice(extra);
        openssl(&args).map(|_| ())
    }

    /// Issues one certificate for `csr` into `out` (PEM).
    pub fn issue(&self, csr: &Path, out: &Path) -> Result<(), AppError> {
        self.ca(&["-notext", "-in", &p(csr), "-out", &p(out)])
    }

    /// `openssl ca -batch -infiles`, one process signing `csr` `n` times from
    /// an empty database: certificates per second.
    pub fn batch_rate(&self, csr: &Path, n: usize) -> Result<f64, AppError> {
        self.reset()?;
        let csr = p(csr);
        let out = p(&self.dir.join("batch.pem"));
        let mut args = vec!["-notext", "-out", &out, "-infiles"];
        args.extend(std::iter::repeat_n(csr.as_str(), n));
        let started = Instant::now();
        self.ca(&args)?;
        let rate = n as f64 / started.elapsed().as_secs_f64();
        self.reset()?;
        Ok(rate)
    }

    /// `openssl ca -gencrl` over the database as it is: its time and its peak
    /// resident memory (GNU time's `%M`), and the CRL's DER size.
    pub fn gencrl(&self) -> Result<(Duration, f64, u64), AppError> {
        let pem = self.dir.join("crl.pem");
        let started = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M", "openssl", "ca", "-gencrl", "-config"])
            .arg(&self.cnf)
            .arg("-out")
            .arg(&pem)
            .output()
            .map_err(|e| bench_error(format!("/usr/bin/time openssl ca -gencrl: {e}")))?;
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(bench_error(format!("openssl ca -gencrl: {stderr}")));
        }
        let peak_kb: f64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| bench_error(format!("no peak memory from time: {stderr}")))?;
        let der = self.dir.join("crl.der");
        openssl(&["crl", "-in", &p(&pem), "-outform", "DER", "-out", &p(&der)])?;
        let size = std::fs::metadata(&der).map(|m| m.len()).unwrap_or(0);
        Ok((took, peak_kb / 1024.0, size))
    }

    /// Replaces the database with these lines (index.txt format).
    pub fn write_index(&self, lines: &str) -> Result<(), AppError> {
        write(&self.dir.join("index.txt"), lines)
    }
}

/// `YYMMDDHHMMSSZ`, as index.txt writes times.
pub fn index_time(ms: i64) -> String {
    let mut der = Vec::new();
    ca::asn1time::rfc5280(&mut der, ms);
    // UTCTime TLV: tag, length 13, then the text.
    String::from_utf8_lossy(der.get(2..).unwrap_or_default()).into_owned()
}
