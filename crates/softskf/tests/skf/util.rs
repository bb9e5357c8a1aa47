//! `softskf-util`: devices made, listed and removed from the command line,
//! and clear refusals.

use std::process::Command;

use crate::skf::*;

fn util(args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_softskf-util"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn devices_are_made_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(util(&["create", "--name", "blank", "--serial", "SN1"], dir).0);
    let (ok, _) = util(
        &[
            "init",
            "--name",
            "ready",
            "--app",
            "certhall",
            "--admin-pin",
            "12345678",
            "--user-pin",
            "123456",
            "--retries",
            "3",
        ],
        dir,
    );
    assert!(ok);
    let (ok, list) = util(&["list"], dir);
    assert!(ok);
    assert_eq!(
        list.lines().collect::<Vec<_>>(),
        [
            "blank\tlabel=blank\tserial=SN1\tapplications=",
            &format!(
                "ready\tlabel=ready\tserial={}\tapplications=certhall",
                serial(&list)
            ),
        ]
    );
    assert!(util(&["remove", "--name", "blank"], dir).0);
    let (_, list) = util(&["list"], dir);
    assert_eq!(list.lines().count(), 1);
}

fn serial(list: &str) -> &str {
    let line = list.lines().find(|l| l.starts_with("ready")).unwrap();
    let field = line.split('\t').find(|f| f.starts_with("serial=")).unwrap();
    &field["serial=".len()..]
}

#[test]
fn refusals_say_what_is_wrong_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(util(&["create", "--name", "one"], dir).0);
    let cases: [(&[&str], &str); 5] = [
        (&["create", "--name", "one"], "already exists"),
        (&["create", "--name", ".hidden"], "device name"),
        (&["remove", "--name", "none"], "no such device"),
        (
            &[
                "init",
                "--name",
                "two",
                "--app",
                "a",
                "--admin-pin",
                "123",
                "--user-pin",
                "123456",
            ],
            "--admin-pin: 6 to 32 bytes",
        ),
        (
            &[
                "init",
                "--name",
                "two",
                "--app",
                "a",
                "--admin-pin",
                "12345678",
                "--user-pin",
                "123456",
                "--retries",
                "16",
            ],
            "--retries 16: 1 to 15",
        ),
    ];
    for (args, message) in cases {
        let (ok, text) = util(args, dir);
        assert!(!ok, "{args:?} succeeded");
        assert!(text.contains(message), "{args:?}: {text}");
    }
    // A refused init leaves no device behind.
    assert!(!dir.join("two").exists());
}

#[test]
fn a_device_made_by_the_util_is_a_key_for_the_library() {
    let (ok, text) = util(
        &[
            "init",
            "--name",
            "util-made",
            "--app",
            APP,
            "--admin-pin",
            ADMIN_PIN,
            "--user-pin",
            USER_PIN,
        ],
        root(),
    );
    assert!(ok, "{text}");
    let (_dev, app) = logged_in("util-made");
    assert_eq!(app.pin_info(USER), Ok((6, 6, true)));
}
