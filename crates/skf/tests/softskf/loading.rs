//! What is and is not an SKF library.

use skf::{Library, SkfError};

use crate::common::{blank_device, library};

#[test]
fn a_library_that_is_not_skf_is_refused_naming_every_missing_function() {
    let error = Library::load("/lib/x86_64-linux-gnu/libz.so.1").unwrap_err();
    let SkfError::Missing(missing) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(missing.len(), 36, "{missing:?}");
    for name in [
        "SKF_EnumDev",
        "SKF_ConnectDev",
        "SKF_ECCSignData",
        "SKF_GetFileInfo",
    ] {
        assert!(missing.contains(&name), "{name} in {missing:?}");
    }
    let message = error.to_string();
    assert!(
        message.starts_with("not an SKF library: missing SKF_EnumDev, SKF_ConnectDev, "),
        "{message}"
    );
}

#[test]
fn a_path_that_is_no_library_is_a_load_error() {
    let error = Library::load("/nonexistent/libvendor-skf.so").unwrap_err();
    assert!(matches!(error, SkfError::Load(_)), "{error:?}");
}

#[test]
fn softskf_is_an_skf_library_and_lists_its_devices() {
    blank_device("load-list");
    let library = library();
    assert!(library.devices().unwrap().contains(&"load-list".to_owned()));
    assert_eq!(
        library.device_state("load-list").unwrap(),
        skf::DevState::Present
    );
    let device = library.connect("load-list").unwrap();
    let info = device.info().unwrap();
    assert_eq!(info.label, "load-list label");
    assert_eq!(info.serial_number, "SN-SKF-0001");
    assert_eq!(info.manufacturer, "certhall softskf");
    assert_eq!(info.dev_auth_alg_id, 0x401);
    assert!(device.apps().unwrap().is_empty());
}
