//! Names and PINs the standard does not allow are refused before the
//! library is called: nothing on the key changes, no PIN try is spent.

use skf::{PinRole, SkfError, access};

use crate::common::{ADMIN_PIN, USER_PIN, device_with_app, library, logged_in, snapshot};

#[test]
fn bad_names_and_pins_are_refused_before_the_library_and_change_nothing() {
    let folder = device_with_app("bad-input", 6);
    let library = library();
    let device = library.connect("bad-input").unwrap();
    let app = logged_in(&device);
    let before = snapshot(&folder);
    let tries = app.pin_info(PinRole::User).unwrap();

    let long_name = "n".repeat(33);
    let long_container = "c".repeat(65);
    let refusals = [
        app.create_container("sign\0evil").map(drop),
        app.create_container(&long_container).map(drop),
        app.open_container("").map(drop),
        app.create_file(&long_name, 16, access::ANYONE, access::ANYONE),
        app.create_file("seal\0.png", 16, access::ANYONE, access::ANYONE),
        app.write_file("a\0b", b"data"),
        app.verify_pin(PinRole::User, "1234\x00-5678"),
        app.verify_pin(PinRole::User, ""),
        app.change_pin(PinRole::User, USER_PIN, "new\0pin"),
        device.open_app("cert\0hall").map(drop),
        device
            .create_app(&long_name, ADMIN_PIN, 6, USER_PIN, 6)
            .map(drop),
        library.connect("bad\0input").map(drop),
        // An ID whose length in bits ENTL (16 bits) cannot hold.
        device
            .digest_in_library(&any_key(), &[0; 8192], b"m")
            .map(drop),
    ];
    for (index, refusal) in refusals.into_iter().enumerate() {
        assert!(
            matches!(refusal, Err(SkfError::InvalidInput(_))),
            "refusal {index}: {refusal:?}"
        );
    }

    assert_eq!(snapshot(&folder), before);
    assert_eq!(app.pin_info(PinRole::User).unwrap(), tries);
    assert!(app.containers().unwrap().is_empty());
    assert!(app.files().unwrap().is_empty());
}

#[test]
fn the_longest_names_the_standard_allows_are_taken() {
    device_with_app("bad-input-limits", 6);
    let library = library();
    let device = library.connect("bad-input-limits").unwrap();
    let app = logged_in(&device);
    let container = "c".repeat(64);
    let file = "f".repeat(32);
    drop(app.create_container(&container).unwrap());
    app.create_file(&file, 4, access::ANYONE, access::ANYONE)
        .unwrap();
    assert_eq!(app.containers().unwrap(), [container]);
    assert_eq!(app.file_info(&file).unwrap().name, file);
}

fn any_key() -> skf::Sm2PublicKey {
    skf::Sm2PublicKey {
        x: [1; 32],
        y: [2; 32],
    }
}
