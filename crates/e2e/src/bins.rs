//! The binaries under test: `certhall` and `certhall-assistant`, from this
//! workspace's target directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The cargo target directory these tests were built in: the test program
/// is `<target>/<profile>/deps/<name>`.
pub fn target_dir() -> PathBuf {
    profile_dir()
        .parent()
        .expect("the target directory")
        .to_path_buf()
}

fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test program's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test program is in <target>/<profile>/deps")
        .to_path_buf()
}

/// Brings both binaries up to date once per test run, so `cargo test -p e2e`
/// alone never walks the manual with a stale server. It asks for what
/// `cargo test --workspace` (the README's test command) builds, with the same
/// feature unification: there it finds everything fresh in a second instead of
/// relinking the binaries with other features. (Cargo does not hold its lock
/// while tests run.)
fn built(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["test", "--workspace", "--no-run", "--quiet", "--target-dir"])
            .arg(target_dir());
        if profile_dir().ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building the workspace failed");
    });
    profile_dir().join(name)
}

/// The platform's binary.
pub fn certhall() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built("certhall")).clone()
}

/// The assistant as built; the holder gets a copy through 下载并安装.
pub fn assistant() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built("certhall-assistant")).clone()
}
