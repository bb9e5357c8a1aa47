//! PINs: retry counters that count down, lock, persist across connections,
//! and are reset by unblocking; login per handle.

use crate::skf::*;

#[test]
fn a_user_pin_locks_and_the_administrator_unblocks_it() {
    device_with_app("pins-lock", 5);
    let dev = Dev::connect("pins-lock").unwrap();
    let app = dev.open_app(APP).unwrap();
    assert_eq!(app.pin_info(USER), Ok((5, 5, true)));

    for remaining in (0..5).rev() {
        assert_eq!(
            app.verify_pin(USER, "000000"),
            (SAR_PIN_INCORRECT, remaining)
        );
    }
    assert_eq!(app.verify_pin(USER, USER_PIN), (SAR_PIN_LOCKED, 0));
    assert_eq!(app.pin_info(USER), Ok((5, 0, true)));

    // The lock is on the key, not in this connection.
    dev.disconnect().unwrap();
    let dev = Dev::connect("pins-lock").unwrap();
    let app = dev.open_app(APP).unwrap();
    assert_eq!(app.verify_pin(USER, USER_PIN), (SAR_PIN_LOCKED, 0));
    assert_eq!(
        app.create_container("c").map(|_| ()),
        Err(SAR_USER_NOT_LOGGED_IN)
    );

    // A wrong administrator PIN unblocks nothing and costs a try.
    assert_eq!(
        app.unblock_pin("87654321", "654321"),
        (SAR_PIN_INCORRECT, 4)
    );
    assert_eq!(app.pin_info(ADMIN), Ok((5, 4, true)));
    assert_eq!(app.verify_pin(USER, USER_PIN), (SAR_PIN_LOCKED, 0));

    // The right one sets a new user PIN with all its tries, and restores
    // the administrator's.
    assert_eq!(app.unblock_pin(ADMIN_PIN, "654321"), (SAR_OK, 5));
    assert_eq!(app.pin_info(ADMIN), Ok((5, 5, true)));
    assert_eq!(app.pin_info(USER), Ok((5, 5, false)));
    assert_eq!(app.verify_pin(USER, USER_PIN), (SAR_PIN_INCORRECT, 4));
    assert_eq!(app.verify_pin(USER, "654321"), (SAR_OK, 5));
    app.create_container("c").unwrap();
}

#[test]
fn counters_persist_across_connections_and_a_right_pin_restores_them() {
    device_with_app("pins-persist", 6);
    let first = Dev::connect("pins-persist").unwrap();
    let app = first.open_app(APP).unwrap();
    assert_eq!(app.verify_pin(USER, "999999"), (SAR_PIN_INCORRECT, 5));
    assert_eq!(app.verify_pin(USER, "999998"), (SAR_PIN_INCORRECT, 4));

    let second = Dev::connect("pins-persist").unwrap();
    let other = second.open_app(APP).unwrap();
    assert_eq!(other.pin_info(USER), Ok((6, 4, true)));
    assert_eq!(other.verify_pin(USER, USER_PIN), (SAR_OK, 6));
    assert_eq!(app.pin_info(USER), Ok((6, 6, true)));
}

#[test]
fn the_administrator_pin_locks_for_good() {
    device_with_app("pins-admin", 2);
    let dev = Dev::connect("pins-admin").unwrap();
    let app = dev.open_app(APP).unwrap();
    assert_eq!(app.verify_pin(ADMIN, "00000000"), (SAR_PIN_INCORRECT, 1));
    assert_eq!(app.verify_pin(ADMIN, "00000000"), (SAR_PIN_INCORRECT, 0));
    assert_eq!(app.verify_pin(ADMIN, ADMIN_PIN), (SAR_PIN_LOCKED, 0));
    assert_eq!(app.unblock_pin(ADMIN_PIN, "654321"), (SAR_PIN_LOCKED, 0));
    assert_eq!(
        app.change_pin(ADMIN, ADMIN_PIN, "11112222"),
        (SAR_PIN_LOCKED, 0)
    );
    // The user PIN still works.
    assert_eq!(app.verify_pin(USER, USER_PIN), (SAR_OK, 2));
}

#[test]
fn change_pin_checks_and_counts_the_old_one() {
    device_with_app("pins-change", 6);
    let dev = Dev::connect("pins-change").unwrap();
    let app = dev.open_app(APP).unwrap();

    assert_eq!(
        app.change_pin(USER, "000000", "222222"),
        (SAR_PIN_INCORRECT, 5)
    );
    assert_eq!(app.change_pin(USER, USER_PIN, "222222"), (SAR_OK, 6));
    assert_eq!(app.verify_pin(USER, USER_PIN), (SAR_PIN_INCORRECT, 5));
    assert_eq!(app.verify_pin(USER, "222222"), (SAR_OK, 6));
    assert_eq!(app.pin_info(USER), Ok((6, 6, false)));

    assert_eq!(app.change_pin(ADMIN, ADMIN_PIN, "87654321"), (SAR_OK, 6));
    assert_eq!(app.verify_pin(ADMIN, "87654321"), (SAR_OK, 6));
    assert_eq!(app.pin_info(ADMIN), Ok((6, 6, false)));

    // A new PIN of impossible length is refused before the old is checked.
    let code = app.change_pin(USER, "000000", "123").0;
    assert_eq!(code, SAR_PIN_LEN_RANGE);
    assert_eq!(app.pin_info(USER), Ok((6, 6, false)));
}

#[test]
fn a_pin_of_impossible_length_or_type_costs_no_try() {
    device_with_app("pins-length", 6);
    let dev = Dev::connect("pins-length").unwrap();
    let app = dev.open_app(APP).unwrap();
    assert_eq!(app.verify_pin(USER, "12345").0, SAR_PIN_LEN_RANGE);
    assert_eq!(app.verify_pin(USER, &"1".repeat(33)).0, SAR_PIN_LEN_RANGE);
    assert_eq!(app.verify_pin(2, USER_PIN).0, SAR_USER_TYPE_INVALID);
    assert_eq!(app.pin_info(USER), Ok((6, 6, true)));
}

#[test]
fn login_belongs_to_the_handle_until_cleared_or_closed() {
    device_with_app("pins-login", 6);
    let dev = Dev::connect("pins-login").unwrap();
    let first = dev.open_app(APP).unwrap().login();
    let second = dev.open_app(APP).unwrap();

    assert_eq!(
        second.create_container("b").map(|_| ()),
        Err(SAR_USER_NOT_LOGGED_IN)
    );
    first.create_container("a").unwrap();

    first.clear_secure_state().unwrap();
    assert_eq!(
        first.create_container("c").map(|_| ()),
        Err(SAR_USER_NOT_LOGGED_IN)
    );

    first.login();
    first.close().unwrap();
    let reopened = dev.open_app(APP).unwrap();
    assert_eq!(
        reopened.create_container("c").map(|_| ()),
        Err(SAR_USER_NOT_LOGGED_IN)
    );
    // A wrong PIN logs the handle out.
    reopened.login();
    assert_eq!(reopened.verify_pin(USER, "000000").0, SAR_PIN_INCORRECT);
    assert_eq!(
        reopened.create_container("c").map(|_| ()),
        Err(SAR_USER_NOT_LOGGED_IN)
    );
    // The closed handle is gone.
    assert_eq!(first.pin_info(USER), Err(SAR_INVALIDHANDLEERR));
}
