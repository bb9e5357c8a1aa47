//! The command line. Global options come before the command:
//! `certhall [--data-dir DIR] [--database-url URL] [--config FILE] <command>`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Overrides, Settings};
use crate::{AppError, commands};

#[derive(Debug, Parser)]
#[command(
    name = "certhall",
    version,
    about = "证书网上服务平台: a CA's online service platform"
)]
pub struct Cli {
    /// Data directory (SQLite database, blobs, outboxes). Default ./certhall-data.
    #[arg(long, global = true, env = "CERTHALL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://… or sqlite://…; default SQLite in the data directory.
    #[arg(long, global = true, env = "CERTHALL_DATABASE_URL")]
    pub database_url: Option<String>,
    /// TOML configuration file (see docs/config.example.toml).
    #[arg(long, global = true, env = "CERTHALL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Public base URL of the server, written into certificates (AIA, CRL
    /// distribution point). CA commands need the same value as `serve`.
    #[arg(long, global = true, env = "CERTHALL_PUBLIC_URL")]
    pub public_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform (creates the data directory and the CA on first start).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Certificate authority operations.
    #[command(subcommand)]
    Ca(CaCommand),
    /// The key management centre of an SM2 CA (GM/T 0034): run apart from
    /// `certhall serve`, which otherwise runs it inside.
    #[command(subcommand)]
    Kmc(KmcCommand),
    /// Audit log operations.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// CA staff accounts for the back office (/admin).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// USB keys the CA hands out.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Play the certificate assistant's part with a key file: print a single-use
    /// link that opens the portal's form for this certificate.
    Handoff {
        /// The holder's certificate (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// Its private key (unencrypted PKCS#8, P-256, RSA or SM2).
        #[arg(long)]
        key: PathBuf,
        /// The business to open.
        #[arg(long, default_value = "change")]
        business: String,
    },
    /// Measure the hot paths side by side with OpenSSL, cfssl and nginx in one
    /// run on this machine; prints one table (docs/PERFORMANCE.md).
    Bench(commands::bench::BenchArgs),
    /// Run the sandbox payment gateway (Alipay and WeChat Pay protocols) on its
    /// own and print the configuration that points a server at it.
    Paysim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// The URL browsers use to reach it. Default http://<listen address>.
        #[arg(long)]
        base: Option<String>,
        /// Multiply the gateways' notify retry schedule (1 = real timing).
        /// Default: payment.sandbox_retry_scale.
        #[arg(long)]
        retry_scale: Option<f64>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Default 127.0.0.1:8080.
    #[arg(long, env = "CERTHALL_LISTEN")]
    pub listen: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create the CA hierarchy: root, issuing CA, OCSP signer.
    Init {
        /// p256 (default), rsa2048, rsa3072 or sm2.
        #[arg(long)]
        algorithm: Option<String>,
    },
    /// Show the CA hierarchy and counts.
    Show,
    /// Issue a certificate for a CSR; prints the PEM certificate.
    Issue(IssueArgs),
    /// Revoke a certificate (SERIAL in hex, as `openssl x509 -serial` prints it).
    Revoke {
        serial: String,
        /// RFC 5280 reason: unspecified, keyCompromise, affiliationChanged,
        /// superseded, cessationOfOperation, privilegeWithdrawn.
        #[arg(long)]
        reason: String,
    },
    /// Publish a fresh CRL; prints it as PEM (or writes DER with --out).
    Crl {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Certify a KMC's signing key (the PEM public key `certhall kmc init`
    /// printed); prints its certificate.
    CertifyKmc { key: PathBuf },
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// PKCS#10 request, PEM or DER.
    #[arg(long)]
    pub csr: PathBuf,
    /// individual (个人证书) or enterprise (机构证书).
    #[arg(long)]
    pub profile: String,
    /// Common name: the holder's name.
    #[arg(long)]
    pub cn: String,
    /// Organisation (enterprise; defaults to --cn).
    #[arg(long)]
    pub org: Option<String>,
    /// 统一社会信用代码 (enterprise, required).
    #[arg(long)]
    pub credit_code: Option<String>,
    /// 身份证号 (individual, required).
    #[arg(long)]
    pub id_number: Option<String>,
    /// Lifetime in years. Default 1.
    #[arg(long, default_value_t = 1)]
    pub years: u32,
    /// Lifetime in days instead of years (a short-lived certificate, e.g. for
    /// a trial or to try 在线延期).
    #[arg(long, conflicts_with = "years")]
    pub days: Option<u32>,
    /// Idempotency key: repeating a request id returns the same certificate.
    #[arg(long)]
    pub request_id: Option<String>,
    /// 双证书 (an SM2 CA with its KMC, an SM2 key): write the encryption
    /// certificate issued with it here (PEM).
    #[arg(long)]
    pub encryption_certificate: Option<PathBuf>,
    /// 双证书: write the encryption key pair here, as the KMC enveloped it to
    /// the signing key (GB/T 35276 SM2EnvelopedKey, DER).
    #[arg(long)]
    pub enveloped_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create an account; prints its one-time set-up link (password and
    /// authenticator app are chosen there).
    Add {
        name: String,
        /// reviewer (审核), operator (制证/发货), finance (财务), admin, auditor,
        /// key_recovery (密钥恢复审批员).
        #[arg(long)]
        role: String,
        /// The person's own mobile number: they can never review an application
        /// made from it.
        #[arg(long)]
        mobile: Option<String>,
    },
    /// A new set-up link: the old password and authenticator stop working.
    Reset { name: String },
    /// Disable an account, end its sessions and revoke its API keys.
    Disable { name: String },
    /// A key for the issuing API (POST /api/v1/ca/issue), acting for an
    /// operator account; printed once, only its hash is kept.
    ApiKey {
        name: String,
        /// The system that will use the key (shown in the audit log).
        #[arg(long)]
        label: String,
    },
    /// List the accounts.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Holds a key's SO PIN (one line on standard input) in escrow, sealed under
    /// the CA key passphrase, for 找回密码 by SMS to the reserved mobile.
    Escrow {
        /// The key's serial number (as `pkcs11-tool --list-token-slots` shows it).
        #[arg(long)]
        serial: String,
        /// The holder's mobile number reserved for PIN resets.
        #[arg(long)]
        mobile: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KmcCommand {
    /// Serve the CA named by `kmc.ca_certificate_file` on `kmc.listen`.
    Serve,
    /// Make the master and signing keys (first time) and print the signing
    /// public key, for `certhall ca certify-kmc` on the CA.
    Init,
    /// Keep the certificate the CA issued for the KMC's signing key.
    Install { cert: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken link.
    Verify,
}

impl Cli {
    pub fn settings(&self) -> Result<Settings, AppError> {
        let config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        let listen = match &self.command {
            Command::Serve(a) => a.listen.clone(),
            _ => None,
        };
        Ok(config.resolve(Overrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            listen,
            public_url: self.public_url.clone(),
        })?)
    }

    pub async fn run(self) -> Result<(), AppError> {
        let settings = self.settings()?;
        match self.command {
            Command::Serve(_) => crate::server::run(&settings).await,
            Command::Migrate => commands::migrate(&settings).await,
            Command::Ca(cmd) => commands::ca::run(&settings, cmd).await,
            Command::Audit(AuditCommand::Verify) => commands::audit_verify(&settings).await,
            Command::Kmc(KmcCommand::Serve) => crate::kmc::serve(&settings).await,
            Command::Kmc(KmcCommand::Init) => crate::kmc::init(&settings).await,
            Command::Kmc(KmcCommand::Install { cert }) => {
                crate::kmc::install(&settings, &cert).await
            }
            Command::Staff(cmd) => commands::staff::run(&settings, cmd).await,
            Command::Token(cmd) => commands::token::run(&settings, cmd).await,
            Command::Handoff {
                cert,
                key,
                business,
            } => commands::handoff::run(&settings, &cert, &key, &business).await,
            Command::Bench(args) => commands::bench::run(&settings, &args).await,
            Command::Paysim {
                listen,
                base,
                retry_scale,
            } => commands::paysim::run(&settings, &listen, base.as_deref(), retry_scale).await,
        }
    }
}
