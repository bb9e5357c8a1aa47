//! The `.deb` that 下载并安装 serves (`scripts/package-assistant`), checked as
//! a distribution would: lintian finds no error or warning; `dpkg` installs it
//! into a scratch root (maintainer scripts run outside a chroot, with
//! `DPKG_ROOT` set) as a graphical installer run through pkexec does, and the
//! postinst opens the window for the installing user; the desktop's own
//! trigger (`update-desktop-database`) registers the `certhall://` handler;
//! the installed handler opens the window through each path `xdg-open` takes
//! here (no desktop: the generic one; GNOME: gio; KDE: kde-open5); `dpkg
//! --purge` takes it all away again.
//!
//! Windows are found on a virtual X screen by their title (`xwininfo`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failure is the test's (helpers included)"
)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The platform this test's package is built for; also how its windows are
/// told from any other assistant running on the machine.
const SERVER: &str = "https://ca.example.cn:18443";
const TITLE: &str = "数字证书助手";

fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run(cmd: &mut Command) -> String {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} runs (scripts/test installs it): {e}"));
    assert!(o.status.success(), "{cmd:?}: {}", said(&o));
    said(&o)
}

/// A virtual X screen that lets any local client in (the window of the
/// installing user, who is not root, too).
struct Screen {
    xvfb: Child,
    display: String,
}

impl Screen {
    fn start() -> Screen {
        // xvfb-run picks a free display (`-a`), as the other window suites
        // do; the program it runs names it and waits.
        let mut xvfb = Command::new("xvfb-run")
            .args(["-a", "-s", "-ac -nolisten tcp -screen 0 1280x1024x24"])
            .args(["sh", "-c", "echo \"$DISPLAY\"; exec sleep 600"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("xvfb-run runs (scripts/test installs xvfb)");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let display = line.trim().to_string();
        assert!(
            display.starts_with(':'),
            "xvfb-run named no display: {line:?}"
        );
        let screen = Screen { xvfb, display };
        let started = Instant::now();
        while !Command::new("xwininfo")
            .args(["-root", "-display", &screen.display])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the virtual screen {} never answered",
                screen.display
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        screen
    }

    /// How many windows of the assistant are on the screen.
    fn windows(&self) -> usize {
        let tree =
            run(Command::new("xwininfo").args(["-root", "-tree", "-display", &self.display]));
        tree.lines().filter(|l| l.contains(TITLE)).count()
    }

    /// Waits for a window of the assistant.
    fn wait_window(&self, how: &str) {
        let started = Instant::now();
        while self.windows() == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{how}: no window titled {TITLE} appeared"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits for a window of the assistant, then closes every one this test
    /// opened.
    fn window_opened(&self, how: &str) {
        self.wait_window(how);
        close_windows();
        let started = Instant::now();
        while self.windows() > 0 {
            assert!(started.elapsed() < Duration::from_secs(10), "windows stay");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        close_windows();
        // The whole group: xvfb-run, its Xvfb and the sleeping shell; TERM,
        // so Xvfb removes its lock and socket.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.xvfb.id())])
            .status();
        let _ = self.xvfb.wait();
    }
}

fn close_windows() {
    let _ = Command::new("pkill")
        .args(["-f", &format!("certhall-assistant --server {SERVER}")])
        .status();
}

/// SoftHSM2 as the installing user may read it (the window loads the
/// default module, and the system's configuration is root's).
fn softhsm_for_anyone(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o777)).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    conf
}

fn build(out: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/package-assistant");
    let printed = run(Command::new(script)
        .args(["--server", SERVER, "--out"])
        .arg(out)
        .args(["--binary", env!("CARGO_BIN_EXE_certhall-assistant")]));
    let deb = PathBuf::from(printed.trim());
    assert_eq!(
        deb.file_name().unwrap().to_string_lossy(),
        format!("certhall-assistant_{}_amd64.deb", env!("CARGO_PKG_VERSION"))
    );
    deb
}

fn dpkg(root: &Path, screen: &Screen, conf: &Path, args: &[&str]) -> String {
    let nobody = run(Command::new("id").args(["-u", "nobody"]));
    run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        // Scripts run outside a chroot (the scratch root has no shell),
        // the dependencies are the host's.
        .args([
            "--force-script-chrootless",
            "--force-depends",
            "--log=/dev/null",
        ])
        .args(args)
        // As pkexec runs a graphical installer for the signed-in user.
        .env("PKEXEC_UID", nobody.trim())
        .env("DISPLAY", &screen.display)
        .env("SOFTHSM2_CONF", conf))
}

#[test]
fn the_package_installs_registers_and_opens_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());

    let lint = Command::new("lintian")
        .args(["--tag-display-limit", "0"])
        .arg(&deb)
        .output()
        .expect("lintian runs (scripts/test installs it)");
    let findings: Vec<&str> = std::str::from_utf8(&lint.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:"))
        .collect();
    assert!(findings.is_empty(), "lintian: {findings:#?}");
    let depends = run(Command::new("dpkg-deb")
        .args(["-f"])
        .arg(&deb)
        .arg("Depends"));
    assert!(depends.contains("libc6"), "{depends}");

    // Installed as a graphical installer does: the window opens for the
    // user who installed, as that user.
    let screen = Screen::start();
    let conf = softhsm_for_anyone(&dir.path().join("hsm"));
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg/updates")).unwrap();
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    dpkg(&root, &screen, &conf, &["-i", deb.to_str().unwrap()]);
    screen.wait_window("postinst");
    let owner = run(Command::new("pgrep").args(["-u", "nobody", "-f", "certhall-assistant"]));
    assert!(
        !owner.trim().is_empty(),
        "the window is not the installing user's"
    );
    screen.window_opened("postinst");

    let usr = root.join("usr");
    for file in [
        "bin/certhall-assistant",
        "share/applications/certhall-assistant.desktop",
        "share/icons/hicolor/scalable/apps/certhall-assistant.svg",
        "share/man/man1/certhall-assistant.1.gz",
    ] {
        assert!(usr.join(file).is_file(), "{file} installed");
    }
    let autostart =
        std::fs::read_to_string(root.join("etc/xdg/autostart/certhall-assistant-bridge.desktop"))
            .unwrap();
    assert!(
        autostart.contains(&format!("Exec=certhall-assistant --server {SERVER} bridge")),
        "{autostart}"
    );

    // What desktop-file-utils' trigger runs after any package's entry.
    run(Command::new("update-desktop-database").arg(usr.join("share/applications")));
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::create_dir_all(home.join("data")).unwrap();
    let path = format!(
        "{}:{}",
        usr.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let desktop = |program: &str, desktop: Option<&str>| {
        let mut cmd = Command::new(program);
        cmd.env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_DATA_DIRS", usr.join("share"))
            .env("PATH", &path)
            .env("DISPLAY", &screen.display)
            .env("SOFTHSM2_CONF", &conf)
            .env_remove("XDG_CURRENT_DESKTOP")
            .env_remove("KDE_SESSION_VERSION")
            .env_remove("DESKTOP_SESSION")
            .env_remove("BROWSER");
        match desktop {
            Some("KDE") => cmd
                .env("XDG_CURRENT_DESKTOP", "KDE")
                .env("KDE_SESSION_VERSION", "5"),
            Some(d) => cmd.env("XDG_CURRENT_DESKTOP", d),
            None => &mut cmd,
        };
        cmd
    };
    let handler =
        run(desktop("xdg-mime", None).args(["query", "default", "x-scheme-handler/certhall"]));
    assert_eq!(handler.trim(), "certhall-assistant.desktop");

    // 打开证书助手 on each desktop; the generic xdg-open waits for the
    // program, so each is left running and the window looked for.
    for (how, env) in [
        ("generic xdg-open", None),
        ("GNOME (gio)", Some("GNOME")),
        ("KDE (kde-open5)", Some("KDE")),
    ] {
        let mut opener = desktop("xdg-open", env)
            .arg("certhall://open?business=change")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xdg-open runs (xdg-utils)");
        screen.window_opened(how);
        let _ = opener.kill();
        let _ = opener.wait();
    }

    dpkg(&root, &screen, &conf, &["--purge", "certhall-assistant"]);
    assert!(!usr.join("bin/certhall-assistant").exists());
    assert!(
        !root
            .join("etc/xdg/autostart/certhall-assistant-bridge.desktop")
            .exists()
    );
}
