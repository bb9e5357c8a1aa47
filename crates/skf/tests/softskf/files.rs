//! Files of an application: the seal image's home.

use skf::access;
use skf::sar::SAR_USER_NOT_LOGGED_IN;

use crate::common::{APP, device_with_app, library, logged_in};

#[test]
fn a_file_larger_than_one_transfer_round_trips() {
    device_with_app("files-seal", 6);
    let library = library();
    let device = library.connect("files-seal").unwrap();
    let app = logged_in(&device);
    let image: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();

    app.create_file("seal.png", 5000, access::ANYONE, access::USER)
        .unwrap();
    app.write_file("seal.png", &image).unwrap();
    assert_eq!(app.files().unwrap(), ["seal.png"]);
    let info = app.file_info("seal.png").unwrap();
    assert_eq!(
        (
            info.name.as_str(),
            info.size,
            info.read_rights,
            info.write_rights
        ),
        ("seal.png", 5000, access::ANYONE, access::USER)
    );
    assert_eq!(app.read_file("seal.png").unwrap(), image);

    // Logged out: reading is anyone's, writing the user's.
    drop(app);
    let app = device.open_app(APP).unwrap();
    assert_eq!(app.read_file("seal.png").unwrap(), image);
    let refused = app.write_file("seal.png", b"x").unwrap_err();
    assert_eq!(refused.code(), Some(SAR_USER_NOT_LOGGED_IN));
    assert_eq!(refused.to_string(), "请先输入 PIN 登录");

    app.delete_file("seal.png").unwrap();
    assert!(app.files().unwrap().is_empty());
}
