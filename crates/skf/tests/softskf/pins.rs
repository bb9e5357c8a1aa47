//! A blank key made ready, and its PINs: wrong tries count down to a lock
//! the holder is told how to lift, and the administrator PIN lifts it.

use skf::sar::{SAR_PIN_LOCKED, SAR_USER_NOT_LOGGED_IN};
use skf::{PinInfo, PinRole, SkfError};

use crate::common::{ADMIN_PIN, USER_PIN, blank_device, library};

#[test]
fn a_blank_key_gets_its_application_after_device_authentication() {
    blank_device("pins-blank");
    let library = library();
    let device = library.connect("pins-blank").unwrap();

    // Without device authentication the key refuses.
    let refused = device
        .create_app("certhall", ADMIN_PIN, 3, USER_PIN, 3)
        .unwrap_err();
    assert_eq!(refused.code(), Some(SAR_USER_NOT_LOGGED_IN), "{refused:?}");

    device.dev_auth_default().unwrap();
    let app = device
        .create_app("certhall", ADMIN_PIN, 3, USER_PIN, 3)
        .unwrap();
    assert_eq!(device.apps().unwrap(), ["certhall"]);
    app.verify_pin(PinRole::User, USER_PIN).unwrap();
    assert_eq!(
        app.pin_info(PinRole::User).unwrap(),
        PinInfo {
            max: 3,
            remaining: 3,
            default: true
        }
    );
}

#[test]
fn wrong_pins_count_down_to_a_lock_that_unblock_lifts() {
    blank_device("pins-lock");
    let library = library();
    let device = library.connect("pins-lock").unwrap();
    device.dev_auth_default().unwrap();
    drop(
        device
            .create_app("certhall", ADMIN_PIN, 3, USER_PIN, 3)
            .unwrap(),
    );
    let app = device.open_app("certhall").unwrap();

    for remaining in [2, 1] {
        let error = app.verify_pin(PinRole::User, "wrong-pin").unwrap_err();
        assert_eq!(error, SkfError::PinIncorrect { remaining });
        assert_eq!(
            error.to_string(),
            format!("PIN 不正确，还可尝试 {remaining} 次")
        );
    }
    let last = app.verify_pin(PinRole::User, "wrong-pin").unwrap_err();
    assert_eq!(last, SkfError::PinIncorrect { remaining: 0 });
    assert!(last.to_string().contains("找回密码"), "{last}");

    // Locked: even the right PIN is refused, and the holder is told what
    // to do.
    let locked = app.verify_pin(PinRole::User, USER_PIN).unwrap_err();
    assert_eq!(locked.code(), Some(SAR_PIN_LOCKED));
    assert_eq!(locked.to_string(), "PIN 已锁定，请使用“找回密码”");
    assert_eq!(app.pin_info(PinRole::User).unwrap().remaining, 0);

    // A wrong administrator PIN counts against the administrator PIN.
    assert_eq!(
        app.unblock_pin("wrong-admin", "new-user-1").unwrap_err(),
        SkfError::PinIncorrect { remaining: 2 }
    );
    app.unblock_pin(ADMIN_PIN, "new-user-1").unwrap();
    app.verify_pin(PinRole::User, "new-user-1").unwrap();
    assert_eq!(
        app.pin_info(PinRole::User).unwrap(),
        PinInfo {
            max: 3,
            remaining: 3,
            default: false
        }
    );

    app.change_pin(PinRole::User, "new-user-1", "newer-user-2")
        .unwrap();
    assert_eq!(
        app.change_pin(PinRole::User, "new-user-1", "x-123456")
            .unwrap_err(),
        SkfError::PinIncorrect { remaining: 2 }
    );
    app.logout().unwrap();
    app.verify_pin(PinRole::User, "newer-user-2").unwrap();
}
