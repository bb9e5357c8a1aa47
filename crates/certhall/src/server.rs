//! `certhall serve`: opens everything, creates the CA on first start, and serves.

use std::net::SocketAddr;
use std::sync::Arc;

use ca::Authority;
use domain::{Clock, SystemClock};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::AppError;
use crate::config::Settings;
use crate::setup;

/// A server that is up and listening.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub public_url: String,
    pub authority: Arc<Authority>,
    pub ra: Arc<ra::Ra>,
    /// The in-process sandbox gateway, when no real gateway is configured.
    pub sandbox: Option<setup::Sandbox>,
    /// The in-process KMC of an SM2 CA, when no KMC URL is configured.
    pub kmc: Option<crate::kmc::InProcess>,
    shutdown: Option<oneshot::Sender<()>>,
    serve: JoinHandle<std::io::Result<()>>,
    watcher: JoinHandle<()>,
    jobs: JoinHandle<()>,
    housekeeping: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, finishes requests in flight, stops the watcher.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.serve).await;
        self.watcher.abort();
        self.jobs.abort();
        self.housekeeping.abort();
        if let Some(s) = &self.sandbox {
            s.task.abort();
        }
        if let Some(k) = &self.kmc {
            k.task.abort();
            k.kmc.db().close().await;
        }
        self.authority.db().close().await;
    }

    /// Runs until the serve task ends (it does on SIGINT/SIGTERM via `run`).
    pub async fn wait(mut self) -> std::io::Result<()> {
        let r = (&mut self.serve).await.unwrap_or(Ok(()));
        self.watcher.abort();
        self.jobs.abort();
        self.housekeeping.abort();
        r
    }
}

pub async fn start(settings: &Settings) -> Result<RunningServer, AppError> {
    start_with_clock(settings, Arc::new(SystemClock)).await
}

pub async fn start_with_clock(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<RunningServer, AppError> {
    setup::prepare_data_dir(&settings.data_dir)?;
    let (db, keys, secrets) = setup::open_store(settings).await?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|source| AppError::Bind {
            addr: settings.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| AppError::Bind {
        addr: settings.listen,
        source,
    })?;
    let public_url = setup::public_url(settings, addr);
    let ca_settings = setup::ca_settings(settings, &public_url);

    let authority =
        match Authority::load(db.clone(), keys.clone(), ca_settings.clone(), clock.clone()).await {
            Ok(a) => a,
            Err(ca::CaError::NotInitialised) => {
                tracing::info!(
                    ca.algorithm = settings.algorithm.name(),
                    "no CA yet: creating one"
                );
                match Authority::init(
                    &db,
                    &keys,
                    &ca_settings,
                    clock.as_ref(),
                    settings.algorithm,
                    "system:serve",
                )
                .await
                {
                    // Another instance may have created it meanwhile: load theirs.
                    Ok(_) | Err(ca::CaError::AlreadyInitialised(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                Authority::load(db.clone(), keys, ca_settings, clock.clone()).await?
            }
            Err(e) => return Err(e.into()),
        };
    // Have a CRL before the first relying party asks (a fresh CA has none yet).
    authority.current_crl().await?;
    let watcher = ca::authority::spawn_watcher(authority.clone());
    let kmc = crate::kmc::connect(settings, &authority).await?;

    let (pay, sandbox) = setup::payments(settings, &public_url).await?;
    let ra = Arc::new(setup::ra(
        settings,
        &public_url,
        authority.clone(),
        clock.clone(),
        pay,
        secrets,
    )?);
    ra.catalog().seed_prices(ra.db(), ra.now_ms()).await?;
    let jobs = ra::payments::spawn_jobs(
        ra.clone(),
        std::time::Duration::from_secs(settings.payment.jobs_seconds),
    );
    let housekeeping =
        ra::housekeeping::spawn_housekeeping(ra.clone(), std::time::Duration::from_secs(600));
    let state = web::AppState::new(
        ra.clone(),
        settings.branding.clone(),
        &public_url,
        settings.metrics_token.clone(),
    );
    let app = web::router(state);
    let (tx, rx) = oneshot::channel::<()>();
    let limits = settings.http;
    let serve = tokio::spawn(crate::http::serve(listener, app, limits, async move {
        let _ = rx.await;
    }));
    tracing::info!(
        http.addr = %addr,
        public_url = %public_url,
        db.backend = ?authority.db().backend(),
        data_dir = %settings.data_dir.display(),
        "certhall is serving"
    );
    Ok(RunningServer {
        addr,
        public_url,
        authority,
        ra,
        sandbox,
        kmc,
        shutdown: Some(tx),
        serve,
        watcher,
        jobs,
        housekeeping,
    })
}

/// Serves until SIGINT or SIGTERM.
pub async fn run(settings: &Settings) -> Result<(), AppError> {
    let server = start(settings).await?;
    println!(
        "certhall is serving on {} (data in {})",
        server.public_url,
        settings.data_dir.display()
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await;
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
