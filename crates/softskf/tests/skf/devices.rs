//! Devices: plugging in and out (folders appearing and going), device
//! information, device authentication and applications.

use std::sync::mpsc;
use std::time::Duration;

use softskf::store::Root;

use crate::skf::*;

/// How long a wait may take before the test cancels it and fails.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// Waits for `name` to arrive (1) or leave (2), skipping other tests'
/// devices; a canceller ends the wait after [`WAIT_LIMIT`] so the test
/// cannot hang. (Cancelling is tested in the C program, a process of its
/// own: here it would end other tests' waits.)
fn wait_for(name: &str, expected: u32, act: impl FnOnce()) {
    let (done, finished) = mpsc::channel::<()>();
    let canceller = std::thread::spawn(move || {
        if finished.recv_timeout(WAIT_LIMIT).is_err() {
            // SAFETY: no arguments.
            unsafe { (skf().SKF_CancelWaitForDevEvent)() };
        }
    });
    let owned = name.to_owned();
    let waiter = std::thread::spawn(move || {
        loop {
            let mut buf = [0u8; 64];
            let mut len = buf.len() as u32;
            let mut event = 0u32;
            // SAFETY: a 64-byte buffer, its length and an output event.
            let code = unsafe {
                (skf().SKF_WaitForDevEvent)(buf.as_mut_ptr().cast(), &mut len, &mut event)
            };
            if code != SAR_OK {
                return Err(code);
            }
            let got = std::str::from_utf8(&buf[..len as usize - 1])
                .unwrap()
                .to_owned();
            assert_eq!(buf[len as usize - 1], 0, "the name ends with its NUL");
            if got == owned && event == expected {
                return Ok(());
            }
        }
    });
    act();
    let result = waiter.join().unwrap();
    let _ = done.send(());
    canceller.join().unwrap();
    assert_eq!(result, Ok(()), "no event {expected} for {name}");
}

#[test]
fn plugging_in_and_out_is_seen_by_enum_and_wait() {
    let _ = enum_dev();
    assert!(!enum_dev().contains(&"dev-plug".to_owned()));
    wait_for("dev-plug", 1, || {
        blank_device("dev-plug");
    });
    assert!(enum_dev().contains(&"dev-plug".to_owned()));
    assert_eq!(device_state("dev-plug"), 1);

    wait_for("dev-plug", 2, || {
        Root::new(root()).remove_device("dev-plug").unwrap();
    });
    assert!(!enum_dev().contains(&"dev-plug".to_owned()));
    assert_eq!(device_state("dev-plug"), 0);
}

fn device_state(name: &str) -> u32 {
    let name = text(name);
    let mut state = u32::MAX;
    // SAFETY: a NUL-terminated name and a live output.
    let code = unsafe { (skf().SKF_GetDevState)(name.as_ptr(), &mut state) };
    assert_eq!(code, SAR_OK);
    state
}

#[test]
fn a_pulled_out_device_answers_device_removed_to_all_its_handles() {
    device_with_app("dev-pulled", 6);
    let (dev, app) = logged_in("dev-pulled");
    let container = app.create_container("c").unwrap();
    let key = container.generate().unwrap();
    let hash = dev.digest_init(Some(&key), None).unwrap();

    Root::new(root()).remove_device("dev-pulled").unwrap();
    assert_eq!(dev.info().map(|_| ()), Err(SAR_DEVICE_REMOVED));
    assert_eq!(app.verify_pin(USER, USER_PIN).0, SAR_DEVICE_REMOVED);
    assert_eq!(
        container.sign(&[1; 32]).map(|_| ()),
        Err(SAR_DEVICE_REMOVED)
    );
    assert_eq!(digest(hash, b"m").map(|_| ()), Err(SAR_DEVICE_REMOVED));

    // Another key plugged in under the same name is not the one pulled out.
    device_with_app("dev-pulled", 6);
    assert_eq!(app.verify_pin(USER, USER_PIN).0, SAR_DEVICE_REMOVED);
    assert_eq!(
        Dev::connect("dev-pulled-gone").map(|_| ()),
        Err(SAR_DEVICE_REMOVED)
    );
    dev.disconnect().unwrap();
    // Disconnecting closed the handles opened from it.
    assert_eq!(app.close(), Err(SAR_INVALIDHANDLEERR));
}

#[test]
fn device_information_is_the_standards_structure() {
    blank_device("dev-info");
    let dev = Dev::connect("dev-info").unwrap();
    let info = dev.info().unwrap();
    let field = |range: std::ops::Range<usize>| {
        let bytes = &info[range];
        let end = bytes.iter().position(|&b| b == 0).unwrap();
        String::from_utf8(bytes[..end].to_vec()).unwrap()
    };
    let ulong = |at: usize| u32::from_le_bytes(info[at..at + 4].try_into().unwrap());
    assert_eq!((info[0], info[1]), (1, 0), "Version");
    assert_eq!(field(2..66), "certhall softskf", "Manufacturer");
    assert_eq!(field(130..162), "dev-info label", "Label");
    assert_eq!(field(162..194), "SN-TEST-0001", "SerialNumber");
    assert_eq!(ulong(198) & SGD_SM4_ECB, SGD_SM4_ECB, "AlgSymCap");
    assert_eq!(ulong(206), SGD_SM3, "AlgHashCap");
    assert_eq!(ulong(210), SGD_SM4_ECB, "DevAuthAlgId");
    assert_eq!(ulong(214), 4 * 1024 * 1024, "TotalSpace");
    assert_eq!(ulong(218), ulong(214), "FreeSpace of a blank key");
    // SAFETY: handles are numbers.
    assert_eq!(unsafe { (skf().SKF_LockDev)(dev.0, 0) }, SAR_OK);
    // SAFETY: as above.
    assert_eq!(unsafe { (skf().SKF_UnlockDev)(dev.0) }, SAR_OK);
}

#[test]
fn applications_need_device_authentication() {
    blank_device("dev-auth");
    let dev = Dev::connect("dev-auth").unwrap();
    let create =
        |dev: Dev| dev.create_app_with(APP, ADMIN_PIN, 10, USER_PIN, 10, SECURE_ANYONE_ACCOUNT);
    assert_eq!(create(dev).map(|_| ()), Err(SAR_USER_NOT_LOGGED_IN));

    // A wrong answer, then an answer replayed: both refused.
    dev.random(8).unwrap();
    assert_eq!(dev.dev_auth(&[0; 16]), Err(SAR_FAIL));
    let challenge = dev.random(8).unwrap();
    let mut block = [0u8; 16];
    block[..8].copy_from_slice(&challenge);
    let answer = sm4_ecb(b"1234567812345678", block);
    dev.dev_auth(&answer).unwrap();
    assert_eq!(
        dev.dev_auth(&answer),
        Err(0x0A00_000C),
        "SAR_NOTINITIALIZEERR"
    );

    let app = create(dev).unwrap();
    assert_eq!(app.pin_info(USER), Ok((10, 10, true)));
    assert_eq!(create(dev).map(|_| ()), Err(SAR_APPLICATION_EXISTS));
    assert_eq!(dev.apps().unwrap(), [APP]);

    // Another connection has not authenticated.
    let other = Dev::connect("dev-auth").unwrap();
    assert_eq!(other.delete_app(APP), Err(SAR_USER_NOT_LOGGED_IN));
    other.authenticate().unwrap();
    other.delete_app(APP).unwrap();
    assert_eq!(dev.apps().unwrap(), Vec::<String>::new());
    assert_eq!(app.pin_info(USER), Err(SAR_INVALIDHANDLEERR));
    assert_eq!(
        dev.open_app(APP).map(|_| ()),
        Err(SAR_APPLICATION_NOT_EXISTS)
    );
    assert_eq!(other.delete_app(APP), Err(SAR_APPLICATION_NOT_EXISTS));
}

#[test]
fn containers_are_listed_opened_and_deleted() {
    device_with_app("dev-containers", 6);
    let (_dev, app) = logged_in("dev-containers");
    let first = app.create_container("first").unwrap();
    app.create_container("second").unwrap();
    assert_eq!(
        app.create_container("first").map(|_| ()),
        Err(SAR_FILE_ALREADY_EXIST)
    );
    assert_eq!(app.containers().unwrap(), ["first", "second"]);
    assert_eq!(first.kind(), Ok(0));

    first.close().unwrap();
    let first = app.open_container("first").unwrap();
    first.generate().unwrap();
    assert_eq!(first.kind(), Ok(2));

    app.delete_container("first").unwrap();
    assert_eq!(first.kind(), Err(SAR_INVALIDHANDLEERR));
    assert_eq!(
        app.open_container("first").map(|_| ()),
        Err(SAR_FILE_NOT_EXIST)
    );
    assert_eq!(app.containers().unwrap(), ["second"]);
}
