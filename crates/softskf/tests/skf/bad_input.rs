//! Bad input: null pointers, names too long, handles never issued, buffers
//! too small, a device pulled out. Each gets its code, and the device's
//! files are byte for byte what they were.

use std::ffi::c_char;
use std::path::Path;
use std::ptr::{null, null_mut};

use softskf::store::Root;

use crate::skf::*;

/// Runs `refused`, which must answer `code`, and checks that the device
/// directory did not change.
fn refused(device: &Path, code: u32, what: &str, call: impl FnOnce() -> u32) {
    let before = snapshot(device);
    assert_eq!(call(), code, "{what}: {:#x} expected", code);
    assert_eq!(snapshot(device), before, "{what} changed the device");
}

const NEVER_ISSUED: Handle = std::ptr::without_provenance_mut(0xdead_beef);

#[test]
fn null_pointers_are_refused_before_anything_changes() {
    let device = device_with_app("bad-null", 6);
    let (dev, app) = logged_in("bad-null");
    let container = app.create_container("c").unwrap();
    let key = container.generate().unwrap();
    let wrong = text("000000");
    let (name, new, file) = (text("bad-null"), text("new"), text("f"));
    let f = skf();
    let mut out = 0u32;
    let mut handle = null_mut();

    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "ConnectDev(NULL)",
        || unsafe { (f.SKF_ConnectDev)(null(), &mut handle) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "ConnectDev(, NULL)",
        || unsafe { (f.SKF_ConnectDev)(name.as_ptr(), null_mut()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "EnumDev(, , NULL)",
        || unsafe { (f.SKF_EnumDev)(1, null_mut(), null_mut()) },
    );
    // A wrong PIN with nowhere to write the count is not counted.
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "VerifyPIN(, , wrong, NULL)",
        || unsafe { (f.SKF_VerifyPIN)(app.0, USER, wrong.as_ptr(), null_mut()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "VerifyPIN(, , NULL, )",
        || unsafe { (f.SKF_VerifyPIN)(app.0, USER, null(), &mut out) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "GetPINInfo(NULLs)",
        || unsafe { (f.SKF_GetPINInfo)(app.0, USER, &mut out, null_mut(), null_mut()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "CreateContainer(, , NULL)",
        || unsafe { (f.SKF_CreateContainer)(app.0, new.as_ptr(), null_mut()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "GenECCKeyPair(, , NULL)",
        || unsafe { (f.SKF_GenECCKeyPair)(container.0, SGD_SM2_1, null_mut()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "ECCSignData(, , , NULL)",
        || unsafe { (f.SKF_ECCSignData)(container.0, [1u8; 32].as_ptr(), 32, null_mut()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "ECCSignData(, NULL, 32, )",
        || unsafe { (f.SKF_ECCSignData)(container.0, null(), 32, [0u8; 128].as_mut_ptr()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "ImportCertificate(, , NULL, 10)",
        || unsafe { (f.SKF_ImportCertificate)(container.0, 1, null(), 10) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "ImportECCKeyPair(, NULL)",
        || unsafe { (f.SKF_ImportECCKeyPair)(container.0, null()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "ECCVerify(, NULL, …)",
        || unsafe { (f.SKF_ECCVerify)(dev.0, null(), [0u8; 32].as_ptr(), 32, [0u8; 128].as_ptr()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "DigestInit(, , , , , NULL)",
        || unsafe { (f.SKF_DigestInit)(dev.0, SGD_SM3, key.as_ptr(), null(), 0, null_mut()) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "GenRandom(, NULL, 8)",
        || unsafe { (f.SKF_GenRandom)(dev.0, null_mut(), 8) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "WriteFile(, , , NULL, 4)",
        || unsafe { (f.SKF_WriteFile)(app.0, file.as_ptr(), 0, null(), 4) },
    );
    // SAFETY: null is the point; the other pointers are live.
    refused(
        &device,
        SAR_INVALIDPARAMERR,
        "GetDevInfo(, NULL)",
        || unsafe { (f.SKF_GetDevInfo)(dev.0, null_mut()) },
    );
    // The right PIN is still right, with all its tries.
    assert_eq!(app.verify_pin(USER, USER_PIN), (SAR_OK, 6));
}

#[test]
fn names_too_long_are_refused() {
    let device = device_with_app("bad-names", 6);
    let dev = Dev::connect("bad-names").unwrap();
    dev.authenticate().unwrap();
    let app = dev.open_app(APP).unwrap().login();
    let name33 = "a".repeat(33);

    refused(&device, SAR_NAMELENERR, "OpenApplication(33 bytes)", || {
        dev.open_app(&name33).map(|_| ()).unwrap_err()
    });
    refused(
        &device,
        SAR_NAMELENERR,
        "CreateApplication(33 bytes)",
        || {
            dev.create_app_with(&name33, ADMIN_PIN, 6, USER_PIN, 6, SECURE_ANYONE_ACCOUNT)
                .map(|_| ())
                .unwrap_err()
        },
    );
    refused(&device, SAR_NAMELENERR, "CreateApplication(empty)", || {
        dev.create_app_with("", ADMIN_PIN, 6, USER_PIN, 6, SECURE_ANYONE_ACCOUNT)
            .map(|_| ())
            .unwrap_err()
    });
    refused(&device, SAR_NAMELENERR, "CreateFile(33 bytes)", || {
        app.create_file(&name33, 8, SECURE_ANYONE_ACCOUNT, SECURE_ANYONE_ACCOUNT)
            .unwrap_err()
    });
    refused(&device, SAR_NAMELENERR, "CreateContainer(65 bytes)", || {
        app.create_container(&"c".repeat(65))
            .map(|_| ())
            .unwrap_err()
    });
    refused(&device, SAR_NAMELENERR, "ConnectDev(32 bytes)", || {
        Dev::connect(&"d".repeat(32)).map(|_| ()).unwrap_err()
    });
    refused(
        &device,
        SAR_PIN_LEN_RANGE,
        "CreateApplication(33-byte PIN)",
        || {
            dev.create_app_with(
                "other",
                &"1".repeat(33),
                6,
                USER_PIN,
                6,
                SECURE_ANYONE_ACCOUNT,
            )
            .map(|_| ())
            .unwrap_err()
        },
    );
    // Exactly 32 bytes is a name.
    app.create_file(
        &"f".repeat(32),
        8,
        SECURE_ANYONE_ACCOUNT,
        SECURE_ANYONE_ACCOUNT,
    )
    .unwrap();
    let info = app.file_info(&"f".repeat(32)).unwrap();
    assert_eq!(&info[..32], "f".repeat(32).as_bytes());
}

#[test]
fn handles_never_issued_closed_or_of_another_kind_are_refused() {
    let device = device_with_app("bad-handles", 6);
    let (dev, app) = logged_in("bad-handles");
    let container = app.create_container("c").unwrap();
    let f = skf();
    let mut out = 0u32;
    let pin = text(USER_PIN);

    // SAFETY: handles are numbers looked up; the pointers are live.
    refused(
        &device,
        SAR_INVALIDHANDLEERR,
        "VerifyPIN(never issued)",
        || unsafe { (f.SKF_VerifyPIN)(NEVER_ISSUED, USER, pin.as_ptr(), &mut out) },
    );
    // SAFETY: handles are numbers looked up; the pointers are live.
    refused(
        &device,
        SAR_INVALIDHANDLEERR,
        "GetDevInfo(NULL handle)",
        || unsafe { (f.SKF_GetDevInfo)(null_mut(), [0u8; 294].as_mut_ptr()) },
    );
    // SAFETY: handles are numbers looked up; the pointers are live.
    refused(
        &device,
        SAR_INVALIDHANDLEERR,
        "CloseApplication(a device)",
        || unsafe { (f.SKF_CloseApplication)(dev.0) },
    );
    // SAFETY: handles are numbers looked up; the pointers are live.
    refused(
        &device,
        SAR_INVALIDHANDLEERR,
        "ECCSignData(an application)",
        || unsafe { (f.SKF_ECCSignData)(app.0, [1u8; 32].as_ptr(), 32, [0u8; 128].as_mut_ptr()) },
    );
    // SAFETY: handles are numbers looked up; the pointers are live.
    refused(
        &device,
        SAR_INVALIDHANDLEERR,
        "CloseHandle(a container)",
        || unsafe { (f.SKF_CloseHandle)(container.0) },
    );
    // SAFETY: handles are numbers looked up; the pointers are live.
    refused(
        &device,
        SAR_INVALIDHANDLEERR,
        "Digest(never issued)",
        || unsafe {
            let mut len = 32u32;
            (f.SKF_Digest)(
                NEVER_ISSUED,
                b"m".as_ptr(),
                1,
                [0u8; 32].as_mut_ptr(),
                &mut len,
            )
        },
    );
    container.close().unwrap();
    // SAFETY: handles are numbers looked up; the pointers are live.
    refused(
        &device,
        SAR_INVALIDHANDLEERR,
        "GenECCKeyPair(closed)",
        || unsafe { (f.SKF_GenECCKeyPair)(container.0, SGD_SM2_1, [0u8; 132].as_mut_ptr()) },
    );
}

#[test]
fn buffers_too_small_get_the_size_needed() {
    let device = device_with_app("bad-buffers", 6);
    let (dev, app) = logged_in("bad-buffers");
    let container = app.create_container("c").unwrap();
    let key = container.generate().unwrap();
    container.import_certificate(true, &[0x30; 500]).unwrap();
    let f = skf();

    let small = |call: &dyn Fn(*mut u8, *mut u32) -> u32, capacity: u32, needed: u32| {
        let mut buf = vec![0xEEu8; capacity as usize];
        let mut len = capacity;
        refused(&device, SAR_BUFFER_TOO_SMALL, "a small buffer", || {
            call(buf.as_mut_ptr(), &mut len)
        });
        assert_eq!(len, needed, "the size needed");
        assert!(buf.iter().all(|&b| b == 0xEE), "nothing written");
    };
    small(
        // SAFETY: `buf` holds `*len` bytes.
        &|buf, len| unsafe { (f.SKF_EnumApplication)(dev.0, buf.cast::<c_char>(), len) },
        1,
        APP.len() as u32 + 2,
    );
    small(
        // SAFETY: `buf` holds `*len` bytes.
        &|buf, len| unsafe { (f.SKF_ExportPublicKey)(container.0, 1, buf, len) },
        100,
        132,
    );
    small(
        // SAFETY: `buf` holds `*len` bytes.
        &|buf, len| unsafe { (f.SKF_ExportCertificate)(container.0, 1, buf, len) },
        499,
        500,
    );

    // A digest asked into 16 bytes is refused, and the hash is still there.
    let hash = dev.digest_init(Some(&key), None).unwrap();
    small(
        // SAFETY: `buf` holds `*len` bytes.
        &|buf, len| unsafe { (f.SKF_Digest)(hash, b"m".as_ptr(), 1, buf, len) },
        16,
        32,
    );
    assert_eq!(
        digest(hash, b"m").unwrap(),
        dev.signing_digest(&key, b"m").unwrap()
    );
}

#[test]
fn a_pulled_out_device_changes_nothing_on_the_one_plugged_in_after() {
    device_with_app("bad-removed", 6);
    let (dev, app) = logged_in("bad-removed");
    let container = app.create_container("c").unwrap();
    Root::new(root()).remove_device("bad-removed").unwrap();
    let device = device_with_app("bad-removed", 6);

    refused(
        &device,
        SAR_DEVICE_REMOVED,
        "VerifyPIN(wrong) on the old",
        || app.verify_pin(USER, "000000").0,
    );
    refused(
        &device,
        SAR_DEVICE_REMOVED,
        "GenECCKeyPair on the old",
        || container.generate().map(|_| ()).unwrap_err(),
    );
    refused(&device, SAR_DEVICE_REMOVED, "GetDevInfo on the old", || {
        dev.info().map(|_| ()).unwrap_err()
    });
}
