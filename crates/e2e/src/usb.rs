//! The holder's side: a USB key (a SoftHSM2 token of its own, or a softskf
//! SKF key plugged into the holder's `usb` folder) and the certificate
//! assistant the holder downloaded and installed, run as the holder runs it —
//! its CLI for the steps, its window (under Xvfb, read back with Tesseract)
//! for the pictures of 图 2.5–2.7 and 2.16.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use testkit::softhsm::{MODULE, PIN, Token as Usb};

/// `xvfb-run` on a 1600×1200 screen of its own. (Not `-a`: two started at
/// once, as the suite's tests do, may both pick the first free display, and
/// the second window then finds no screen it may draw on.)
pub fn xvfb_run() -> Command {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(300);
    let n = loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let taken = Path::new(&format!("/tmp/.X{n}-lock")).exists()
            || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists();
        if !taken {
            break n;
        }
    };
    let mut cmd = Command::new("xvfb-run");
    cmd.args(["-n", &n.to_string(), "-s", "-screen 0 1600x1200x24"]);
    cmd
}

/// The serial (as `openssl x509 -serial` prints it) of the certificate the
/// assistant wrote into `usb` (labelled `certhall …`). Read from the key, not
/// from the window: Tesseract may misread hex.
pub fn written_serial(usb: &Usb) -> String {
    let objects = usb.objects();
    let label = objects
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("label:"))
        .map(|s| s.trim().to_string())
        .filter(|l| l.starts_with("certhall "))
        .unwrap_or_else(|| panic!("no certificate of the assistant's in the key:\n{objects}"));
    let tmp = tempfile::tempdir().unwrap();
    let pem = tmp.path().join("written.pem");
    usb.read_certificate(&label, &pem);
    testkit::openssl::serial_of(&pem)
}

/// The assistant as installed in the holder's home.
pub struct Assistant {
    pub bin: PathBuf,
    pub home: PathBuf,
    pub server: String,
}

/// What a run printed, stdout then stderr.
pub fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

impl Assistant {
    /// The holder's USB ports for SKF keys: `SOFTSKF_DIR` of every run, so
    /// a softskf key is plugged in by making a device there.
    pub fn usb_ports(&self) -> PathBuf {
        self.home.join("usb")
    }

    /// Installs a USB key vendor's SKF library the way its installer does:
    /// listed in the assistant's settings (`~/.config/certhall-assistant/drivers`).
    pub fn install_skf_library(&self, library: &Path) {
        let dir = self.home.join(".config/certhall-assistant");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("drivers"), format!("skf {}\n", library.display())).unwrap();
    }

    /// The holder's environment beyond HOME: the settings under it, the
    /// SKF ports.
    fn holder_env(&self, cmd: &mut Command) {
        cmd.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("SOFTSKF_DIR", self.usb_ports())
            .env_remove("CERTHALL_SKF_LIBRARY");
    }

    /// The assistant with the holder's environment (home, key, the desktop's
    /// `xdg-open`), on the suite's server and module.
    pub(crate) fn command(&self, conf: &Path) -> Command {
        let mut cmd = Command::new(&self.bin);
        let path = format!(
            "{}:{}",
            self.opener_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        self.holder_env(&mut cmd);
        cmd.env("PATH", path)
            .env("SOFTHSM2_CONF", conf)
            .env_remove("CERTHALL_ASSISTANT_STOP_AFTER")
            .env_remove("CERTHALL_SERVER")
            .args(["--server", &self.server, "--module", MODULE]);
        cmd
    }

    /// The desktop's `xdg-open` for the assistant: it records the link it is
    /// asked to open, for the test's browser to open (the suite's Chromium is
    /// not the desktop's default browser).
    fn opener_dir(&self) -> PathBuf {
        let dir = self.home.join("opener");
        let script = dir.join("xdg-open");
        if !script.exists() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                &script,
                format!(
                    "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
                    self.opened_log().display()
                ),
            )
            .unwrap();
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir
    }

    pub(crate) fn opened_log(&self) -> PathBuf {
        self.home.join("opened.log")
    }

    /// The last link the assistant opened in the browser, once it has.
    pub async fn opened(&self) -> String {
        let started = std::time::Instant::now();
        loop {
            if let Some(url) = std::fs::read_to_string(self.opened_log())
                .ok()
                .and_then(|s| s.lines().last().map(str::to_string))
            {
                return url;
            }
            assert!(
                started.elapsed() < crate::PAGE_WAIT,
                "the assistant opened no link in the browser"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// `certhall-assistant ARGS` with the PIN typed on standard input.
    pub async fn run(&self, conf: &Path, args: &[&str], stdin: &str) -> Output {
        let mut cmd = self.command(conf);
        cmd.arg("--pin-stdin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let stdin = stdin.to_string();
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("the assistant runs");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(stdin.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    }

    /// Like [`Assistant::run`] with the right PIN; fails the test if the
    /// assistant does.
    pub async fn ok(&self, conf: &Path, args: &[&str]) -> String {
        let o = self.run(conf, args, &format!("{PIN}\n")).await;
        assert!(o.status.success(), "assistant {args:?}: {}", said(&o));
        said(&o)
    }

    /// The window on `page` (keys, hall), on a virtual screen: waits until
    /// Tesseract reads every one of `until` in it, then saves the screen to
    /// `shot`.
    pub async fn window(&self, conf: &Path, page: &str, shot: &Path, until: &[&str]) {
        let _ = std::fs::remove_file(shot);
        let want: Vec<String> = until
            .iter()
            .map(|w| w.chars().filter(|c| !c.is_whitespace()).collect())
            .collect();
        let grep: String = want
            .iter()
            .map(|w| format!(" && grep -qF -- '{w}' \"$T\""))
            .collect();
        // Draw, shoot, read; again until the words are there (the window
        // fills in as the worker reads the key and the server). The reading
        // is the album's own (same picture, same languages).
        let script = format!(
            r#"{bin} --server {server} --module {MODULE} gui --page {page} & P=$!
T=$(mktemp)
for i in $(seq 1 25); do
  sleep 1
  timeout 20 import -window root {raw} 2>/dev/null || continue
  convert {raw} -trim +repage {shot} || continue
  tesseract {shot} - -l chi_sim+eng 2>/dev/null | tr -d ' \n' > "$T"
  true{grep} && break
done
kill $P; wait $P 2>/dev/null
exit 0"#,
            bin = self.bin.display(),
            server = self.server,
            raw = shot.with_extension("raw.png").display(),
            shot = shot.display(),
        );
        let mut cmd = xvfb_run();
        self.holder_env(&mut cmd);
        cmd.args(["bash", "-c", &script])
            .env("SOFTHSM2_CONF", conf)
            .env("CERTHALL_ASSISTANT_ZOOM", "2");
        let out = tokio::task::spawn_blocking(move || {
            cmd.output()
                .expect("xvfb-run is installed (scripts/test installs xvfb)")
        })
        .await
        .unwrap();
        let _ = std::fs::remove_file(shot.with_extension("raw.png"));
        assert!(
            shot.exists(),
            "the assistant's window was not shot: {}",
            said(&out)
        );
    }

    /// The window left open on a virtual screen, as a holder leaves it:
    /// closed (with its bridge) when the returned guard drops.
    pub fn keep_window_open(&self, conf: &Path) -> Running {
        let mut cmd = xvfb_run();
        self.holder_env(&mut cmd);
        cmd.arg(&self.bin)
            .args(["--server", &self.server, "--module", MODULE, "gui"])
            .env("SOFTHSM2_CONF", conf);
        Running::spawn(&mut cmd)
    }

    /// `certhall-assistant bridge` as the autostart entry runs it at login,
    /// until the returned guard drops.
    pub fn bridge_alone(&self, conf: &Path) -> Running {
        Running::spawn(self.command(conf).arg("bridge"))
    }
}

/// A program of the holder's that runs until dropped (then killed with its
/// children: xvfb-run's X server and the window).
pub struct Running(std::process::Child);

impl Running {
    /// [`Running::spawn`] with the program's stderr kept in `log`.
    pub(crate) fn spawn_logged(cmd: &mut Command, log: &Path) -> Running {
        let file = std::fs::File::create(log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("the assistant starts");
        Running(child)
    }

    /// How it ended, if it has.
    pub(crate) fn ended(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().ok().flatten()
    }

    pub(crate) fn spawn(cmd: &mut Command) -> Running {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the assistant starts (xvfb-run is installed: scripts/test installs xvfb)");
        Running(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        crate::chrome::kill_tree(self.0.id());
        let _ = self.0.wait();
    }
}
