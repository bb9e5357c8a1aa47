//! The library under test, loaded by path with libloading as the assistant
//! will load it, and a safe face on its C functions for the tests.
//!
//! Nothing here borrows the crate's own definitions of the interface: the
//! codes are the standard's, and blobs are byte arrays read and written at
//! the standard's offsets, so a wrong layout or value in the library shows.

use std::ffi::{CString, c_char, c_void};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libloading::Library;
use sm4::cipher::{Array, BlockCipherEncrypt, KeyInit};
use softskf::pin::Pin;
use softskf::store::{AppRecord, Name, Root};

mod objects;

pub use self::objects::*;

pub type Handle = *mut c_void;

// The standard's codes (GM/T 0016-2012 appendix A).
pub const SAR_OK: u32 = 0x0000_0000;
pub const SAR_FAIL: u32 = 0x0A00_0001;
pub const SAR_INVALIDHANDLEERR: u32 = 0x0A00_0005;
pub const SAR_INVALIDPARAMERR: u32 = 0x0A00_0006;
pub const SAR_NAMELENERR: u32 = 0x0A00_0009;
pub const SAR_INDATALENERR: u32 = 0x0A00_0010;
pub const SAR_INDATAERR: u32 = 0x0A00_0011;
pub const SAR_HASHOBJERR: u32 = 0x0A00_0013;
pub const SAR_KEYNOTFOUNTERR: u32 = 0x0A00_001B;
pub const SAR_CERTNOTFOUNTERR: u32 = 0x0A00_001C;
pub const SAR_BUFFER_TOO_SMALL: u32 = 0x0A00_0020;
pub const SAR_DEVICE_REMOVED: u32 = 0x0A00_0023;
pub const SAR_PIN_INCORRECT: u32 = 0x0A00_0024;
pub const SAR_PIN_LOCKED: u32 = 0x0A00_0025;
pub const SAR_PIN_LEN_RANGE: u32 = 0x0A00_0027;
pub const SAR_USER_TYPE_INVALID: u32 = 0x0A00_002A;
pub const SAR_APPLICATION_EXISTS: u32 = 0x0A00_002C;
pub const SAR_USER_NOT_LOGGED_IN: u32 = 0x0A00_002D;
pub const SAR_APPLICATION_NOT_EXISTS: u32 = 0x0A00_002E;
pub const SAR_FILE_ALREADY_EXIST: u32 = 0x0A00_002F;
pub const SAR_FILE_NOT_EXIST: u32 = 0x0A00_0031;

pub const ADMIN: u32 = 0;
pub const USER: u32 = 1;
pub const SGD_SM2_1: u32 = 0x0002_0200;
pub const SGD_SM3: u32 = 0x0000_0001;
pub const SGD_SM4_ECB: u32 = 0x0000_0401;
pub const SGD_SM4_CBC: u32 = 0x0000_0402;
pub const SECURE_ADM_ACCOUNT: u32 = 0x01;
pub const SECURE_USER_ACCOUNT: u32 = 0x10;
pub const SECURE_ANYONE_ACCOUNT: u32 = 0xFF;

/// The PINs of the devices made by [`device_with_app`].
pub const ADMIN_PIN: &str = "12345678";
pub const USER_PIN: &str = "123456";
pub const APP: &str = "certhall";

/// `BLOCKCIPHERPARAM`, passed by value.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct BlockCipherParam {
    pub iv: [u8; 32],
    pub iv_len: u32,
    pub padding_type: u32,
    pub feed_bit_len: u32,
}

macro_rules! functions {
    ($($name:ident($($arg:ty),*);)*) => {
        /// The library's functions, resolved once.
        #[expect(non_snake_case, reason = "the standard's function names")]
        pub struct Functions {
            $(pub $name: unsafe extern "C" fn($($arg),*) -> u32,)*
        }

        impl Functions {
            fn load(library: &Library) -> Self {
                Functions {
                    $($name: {
                        let symbol = concat!(stringify!($name), "\0").as_bytes();
                        // SAFETY: the type is the prototype of include/skf.h.
                        let function = unsafe {
                            library.get::<unsafe extern "C" fn($($arg),*) -> u32>(symbol)
                        };
                        *function.unwrap_or_else(|e| panic!("{}: {e}", stringify!($name)))
                    },)*
                }
            }
        }
    };
}

functions! {
    SKF_EnumDev(i32, *mut c_char, *mut u32);
    SKF_ConnectDev(*const c_char, *mut Handle);
    SKF_DisConnectDev(Handle);
    SKF_GetDevState(*const c_char, *mut u32);
    SKF_GetDevInfo(Handle, *mut u8);
    SKF_WaitForDevEvent(*mut c_char, *mut u32, *mut u32);
    SKF_CancelWaitForDevEvent();
    SKF_LockDev(Handle, u32);
    SKF_UnlockDev(Handle);
    SKF_GenRandom(Handle, *mut u8, u32);
    SKF_DevAuth(Handle, *const u8, u32);
    SKF_CreateApplication(Handle, *const c_char, *const c_char, u32, *const c_char, u32, u32, *mut Handle);
    SKF_EnumApplication(Handle, *mut c_char, *mut u32);
    SKF_DeleteApplication(Handle, *const c_char);
    SKF_OpenApplication(Handle, *const c_char, *mut Handle);
    SKF_CloseApplication(Handle);
    SKF_VerifyPIN(Handle, u32, *const c_char, *mut u32);
    SKF_ChangePIN(Handle, u32, *const c_char, *const c_char, *mut u32);
    SKF_UnblockPIN(Handle, *const c_char, *const c_char, *mut u32);
    SKF_GetPINInfo(Handle, u32, *mut u32, *mut u32, *mut i32);
    SKF_ClearSecureState(Handle);
    SKF_CreateContainer(Handle, *const c_char, *mut Handle);
    SKF_DeleteContainer(Handle, *const c_char);
    SKF_OpenContainer(Handle, *const c_char, *mut Handle);
    SKF_CloseContainer(Handle);
    SKF_EnumContainer(Handle, *mut c_char, *mut u32);
    SKF_GetContainerType(Handle, *mut u32);
    SKF_ImportCertificate(Handle, i32, *const u8, u32);
    SKF_ExportCertificate(Handle, i32, *mut u8, *mut u32);
    SKF_GenECCKeyPair(Handle, u32, *mut u8);
    SKF_ExportPublicKey(Handle, i32, *mut u8, *mut u32);
    SKF_ECCSignData(Handle, *const u8, u32, *mut u8);
    SKF_ECCVerify(Handle, *const u8, *const u8, u32, *const u8);
    SKF_ExtECCVerify(Handle, *const u8, *const u8, u32, *const u8);
    SKF_ExtECCEncrypt(Handle, *const u8, *const u8, u32, *mut u8);
    SKF_ImportECCKeyPair(Handle, *const u8);
    SKF_ECCPrvKeyDecrypt(Handle, *const u8, *mut u8, *mut u32);
    SKF_DigestInit(Handle, u32, *const u8, *const u8, u32, *mut Handle);
    SKF_Digest(Handle, *const u8, u32, *mut u8, *mut u32);
    SKF_DigestUpdate(Handle, *const u8, u32);
    SKF_DigestFinal(Handle, *mut u8, *mut u32);
    SKF_CloseHandle(Handle);
    SKF_SetSymmKey(Handle, *const u8, u32, *mut Handle);
    SKF_EncryptInit(Handle, BlockCipherParam);
    SKF_Encrypt(Handle, *const u8, u32, *mut u8, *mut u32);
    SKF_DecryptInit(Handle, BlockCipherParam);
    SKF_Decrypt(Handle, *const u8, u32, *mut u8, *mut u32);
    SKF_CreateFile(Handle, *const c_char, u32, u32, u32);
    SKF_DeleteFile(Handle, *const c_char);
    SKF_EnumFiles(Handle, *mut c_char, *mut u32);
    SKF_GetFileInfo(Handle, *const c_char, *mut u8);
    SKF_ReadFile(Handle, *const c_char, u32, u32, *mut u8, *mut u32);
    SKF_WriteFile(Handle, *const c_char, u32, *const u8, u32);
}

struct Loaded {
    /// Kept loaded for the whole run: the function pointers point into it.
    _library: Library,
    functions: Functions,
    root: PathBuf,
}

static LOADED: OnceLock<Loaded> = OnceLock::new();

/// The library's functions. The first call points `SOFTSKF_DIR` at a fresh
/// directory for this test run and loads the library.
pub fn skf() -> &'static Functions {
    &loaded().functions
}

/// The devices directory of this run.
pub fn root() -> &'static Path {
    &loaded().root
}

fn loaded() -> &'static Loaded {
    LOADED.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("softskf-devices");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        // SAFETY: set once, before the library (its only reader) is
        // loaded, by the first test through this lock; no test reads the
        // environment otherwise.
        unsafe { std::env::set_var("SOFTSKF_DIR", &root) };
        // SAFETY: libsoftskf.so has no initialisers beyond Rust's.
        let library = unsafe { Library::new(library_path()) }.unwrap();
        let functions = Functions::load(&library);
        Loaded {
            _library: library,
            functions,
            root,
        }
    })
}

/// `libsoftskf.so` as built for these tests: cargo compiles the library
/// once for both its crate types, into the `deps` directory that holds the
/// test binary (`cargo test` does not copy it up to `target/debug`, where
/// `cargo build` puts it, so that copy may be stale).
pub fn library_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.with_file_name("libsoftskf.so");
    assert!(
        path.is_file(),
        "{} is missing: cargo builds it with the package's tests (cargo test -p softskf)",
        path.display()
    );
    path
}

/// A blank device (no application) in this run's directory.
pub fn blank_device(name: &str) -> PathBuf {
    let _ = skf();
    let device = Root::new(root())
        .create_device(name, &format!("{name} label"), "SN-TEST-0001", &[])
        .unwrap();
    device.path().to_owned()
}

/// A device with application [`APP`], PINs [`ADMIN_PIN`] and [`USER_PIN`],
/// `retries` tries each, create-file rights for anyone.
pub fn device_with_app(name: &str, retries: u32) -> PathBuf {
    let _ = skf();
    let app = AppRecord::new(
        Name::new(APP.as_bytes(), 32).unwrap(),
        (&Pin::new(ADMIN_PIN.as_bytes()).unwrap(), retries),
        (&Pin::new(USER_PIN.as_bytes()).unwrap(), retries),
        SECURE_ANYONE_ACCOUNT,
    )
    .unwrap();
    let device = Root::new(root())
        .create_device(name, name, "SN-TEST-0002", &[app])
        .unwrap();
    device.path().to_owned()
}

pub fn text(value: &str) -> CString {
    CString::new(value).unwrap()
}

/// `Ok` for `SAR_OK`, else the code.
pub fn ok(code: u32) -> Result<(), u32> {
    if code == SAR_OK { Ok(()) } else { Err(code) }
}

/// An output by the size protocol: asks the size, then fetches.
pub fn fetch(call: impl Fn(*mut u8, *mut u32) -> u32) -> Result<Vec<u8>, u32> {
    let mut len = 0u32;
    ok(call(std::ptr::null_mut(), &mut len))?;
    let mut buf = vec![0u8; len as usize];
    ok(call(buf.as_mut_ptr(), &mut len))?;
    buf.truncate(len as usize);
    Ok(buf)
}

/// The names of a NUL-separated, double-NUL-ended list.
pub fn names(list: &[u8]) -> Vec<String> {
    list.split(|&b| b == 0)
        .take_while(|name| !name.is_empty())
        .map(|name| String::from_utf8(name.to_vec()).unwrap())
        .collect()
}

pub fn enum_dev() -> Vec<String> {
    let list = fetch(|buf, len| {
        // SAFETY: `buf` is null or holds `*len` bytes; `len` is live.
        unsafe { (skf().SKF_EnumDev)(1, buf.cast(), len) }
    })
    .unwrap();
    names(&list)
}

/// A device connected, its application opened and the user logged in.
pub fn logged_in(device: &str) -> (Dev, App) {
    let dev = Dev::connect(device).unwrap();
    let app = dev.open_app(APP).unwrap().login();
    (dev, app)
}

/// The x and y of a public key blob (right halves of the 64-byte fields).
pub fn blob_point(blob: &[u8]) -> ([u8; 32], [u8; 32]) {
    assert_eq!(blob.len(), 132);
    assert_eq!(u32::from_le_bytes(blob[..4].try_into().unwrap()), 256);
    assert!(blob[4..36].iter().chain(&blob[68..100]).all(|&b| b == 0));
    (
        blob[36..68].try_into().unwrap(),
        blob[100..132].try_into().unwrap(),
    )
}

/// A public key blob of a point.
pub fn point_blob(x: &[u8], y: &[u8]) -> [u8; 132] {
    let mut blob = [0u8; 132];
    blob[..4].copy_from_slice(&256u32.to_le_bytes());
    blob[36..68].copy_from_slice(x);
    blob[100..132].copy_from_slice(y);
    blob
}

/// One SM4-ECB block.
pub fn sm4_ecb(key: &[u8; 16], block: [u8; 16]) -> [u8; 16] {
    let cipher = sm4::Sm4::new(&Array::from(*key));
    let mut block = Array::from(block);
    cipher.encrypt_block(&mut block);
    block.into()
}

/// Every file under `dir` with its bytes: a refused call must leave it
/// unchanged.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    files
}
