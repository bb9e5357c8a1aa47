//! A key pulled out in the middle of the work.

use skf::PinRole;
use skf::sar::SAR_DEVICE_REMOVED;

use crate::common::{device_with_app, library, logged_in};

#[test]
fn a_key_pulled_out_is_reported_as_such_to_the_holder() {
    let folder = device_with_app("removed", 6);
    let library = library();
    let device = library.connect("removed").unwrap();
    let app = logged_in(&device);
    let container = app.create_container("sign").unwrap();

    std::fs::remove_dir_all(&folder).unwrap();

    let error = container.gen_sm2_key().unwrap_err();
    assert_eq!(error.code(), Some(SAR_DEVICE_REMOVED), "{error:?}");
    assert_eq!(error.to_string(), "证书介质已拔出");
    let error = app.pin_info(PinRole::User).unwrap_err();
    assert_eq!(error.code(), Some(SAR_DEVICE_REMOVED), "{error:?}");
    assert!(!library.devices().unwrap().contains(&"removed".to_owned()));
    // The handles close on drop without trouble.
}
