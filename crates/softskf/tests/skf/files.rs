//! Files: creation under the application's create-file rights, reading and
//! writing under each file's rights.

use crate::skf::*;

/// An application whose files only the user may create.
fn user_files_app(device: &str) -> (Dev, App) {
    blank_device(device);
    let dev = Dev::connect(device).unwrap();
    dev.authenticate().unwrap();
    let app = dev
        .create_app_with(APP, ADMIN_PIN, 6, USER_PIN, 6, SECURE_USER_ACCOUNT)
        .unwrap();
    (dev, app)
}

#[test]
fn files_are_read_and_written_under_their_rights() {
    let (_dev, app) = user_files_app("files-rights");
    assert_eq!(
        app.create_file("public", 64, SECURE_ANYONE_ACCOUNT, SECURE_USER_ACCOUNT),
        Err(SAR_USER_NOT_LOGGED_IN)
    );
    app.login();
    app.create_file("public", 64, SECURE_ANYONE_ACCOUNT, SECURE_USER_ACCOUNT)
        .unwrap();
    app.create_file("admin", 16, SECURE_USER_ACCOUNT, SECURE_ADM_ACCOUNT)
        .unwrap();
    assert_eq!(
        app.create_file("public", 8, SECURE_ANYONE_ACCOUNT, SECURE_ANYONE_ACCOUNT),
        Err(SAR_FILE_ALREADY_EXIST)
    );
    assert_eq!(app.files().unwrap(), ["public", "admin"]);

    let info = app.file_info("public").unwrap();
    assert_eq!(&info[..7], b"public\0");
    let ulong = |at: usize| u32::from_le_bytes(info[at..at + 4].try_into().unwrap());
    assert_eq!(
        (ulong(32), ulong(36), ulong(40)),
        (64, SECURE_ANYONE_ACCOUNT, SECURE_USER_ACCOUNT)
    );

    app.write_file("public", 10, b"hello").unwrap();
    let read = app.read_file("public", 8, 100).unwrap();
    assert_eq!(read.len(), 56, "up to the end of the file");
    assert_eq!(&read[..9], b"\0\0hello\0\0");
    assert_eq!(
        app.write_file("public", 60, b"hello"),
        Err(SAR_INDATALENERR)
    );
    assert_eq!(app.read_file("public", 65, 1), Err(SAR_INDATALENERR));
    assert_eq!(
        app.write_file("admin", 0, b"x"),
        Err(SAR_USER_NOT_LOGGED_IN)
    );

    app.clear_secure_state().unwrap();
    assert_eq!(app.read_file("public", 10, 5).unwrap(), b"hello");
    assert_eq!(
        app.write_file("public", 0, b"x"),
        Err(SAR_USER_NOT_LOGGED_IN)
    );
    assert_eq!(app.read_file("admin", 0, 1), Err(SAR_USER_NOT_LOGGED_IN));

    assert_eq!(app.verify_pin(ADMIN, ADMIN_PIN).0, SAR_OK);
    assert_eq!(
        app.write_file("admin", 0, b"by the administrator"),
        Err(SAR_INDATALENERR),
        "beyond the file's 16 bytes"
    );
    app.write_file("admin", 0, b"administrator").unwrap();
    assert_eq!(app.delete_file("public"), Err(SAR_USER_NOT_LOGGED_IN));

    app.login();
    assert_eq!(app.read_file("admin", 0, 13).unwrap(), b"administrator");
    app.delete_file("public").unwrap();
    assert_eq!(app.file_info("public").map(|_| ()), Err(SAR_FILE_NOT_EXIST));
    assert_eq!(app.delete_file("public"), Err(SAR_FILE_NOT_EXIST));
    assert_eq!(app.files().unwrap(), ["admin"]);
}

#[test]
fn files_survive_a_new_connection() {
    let (dev, app) = user_files_app("files-persist");
    app.login();
    app.create_file("data", 4, SECURE_ANYONE_ACCOUNT, SECURE_USER_ACCOUNT)
        .unwrap();
    app.write_file("data", 0, b"keep").unwrap();
    dev.disconnect().unwrap();

    let dev = Dev::connect("files-persist").unwrap();
    let app = dev.open_app(APP).unwrap();
    assert_eq!(app.read_file("data", 0, 4).unwrap(), b"keep");
}
