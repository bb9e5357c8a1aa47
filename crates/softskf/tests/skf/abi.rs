//! The C view: `tests/c/abi_check.c` is compiled against the committed
//! `include/skf.h` (its static assertions fix the structures' layout),
//! linked against libsoftskf.so, and run end to end on a blank device made
//! by `softskf-util`. The signature it prints is checked with the `sm2`
//! crate.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sm2::dsa::signature::Verifier;
use sm2::dsa::{Signature, VerifyingKey};

use crate::skf::library_path;

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn a_c_program_uses_the_key_through_the_header() {
    let work = tempfile::tempdir().unwrap();
    let devices = work.path().join("devices");
    let util = Command::new(env!("CARGO_BIN_EXE_softskf-util"))
        .args(["create", "--name", "ckey", "--dir"])
        .arg(&devices)
        .output()
        .unwrap();
    assert!(util.status.success(), "{util:?}");

    let program = work.path().join("abi_check");
    compile(&program);
    let output = run_bounded(
        Command::new(&program)
            .arg("ckey")
            .env("SOFTSKF_DIR", &devices),
        Duration::from_secs(30),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "abi_check failed:\n{stderr}{stdout}"
    );

    // The signature made through C verifies as an SM2 signature of the
    // message, default ID.
    let values: BTreeMap<&str, Vec<u8>> = stdout
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name, hex::decode(value).unwrap()))
        .collect();
    let sec1 = [&[0x04][..], &values["x"], &values["y"]].concat();
    let key = VerifyingKey::from_sec1_bytes("1234567812345678", &sec1).unwrap();
    let r: [u8; 32] = values["r"].as_slice().try_into().unwrap();
    let s: [u8; 32] = values["s"].as_slice().try_into().unwrap();
    key.verify(&values["msg"], &Signature::from_scalars(r, s).unwrap())
        .unwrap();
}

/// `cc` with every warning an error; a missing compiler fails the test.
///
/// The library is linked by its path: it has no SONAME, so the program
/// records that path and loads exactly this build (not another
/// libsoftskf.so found through `LD_LIBRARY_PATH`, which cargo sets to
/// directories that may hold a stale copy).
fn compile(program: &Path) {
    let output = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", "-o"])
        .arg(program)
        .arg(format!("-I{CRATE}/include"))
        .arg(format!("{CRATE}/tests/c/abi_check.c"))
        .arg(library_path())
        .output()
        .unwrap_or_else(|e| panic!("the C compiler `cc` is needed for this test: {e}"));
    assert!(
        output.status.success(),
        "abi_check.c does not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `command`, killing it past `limit` so a hang fails the test.
fn run_bounded(command: &mut Command, limit: Duration) -> std::process::Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("abi_check did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}
