//! The functions of the standard this crate calls, their C types, and
//! their lookup: the required ones all at once (every one missing is named),
//! the optional ones each on its own.

#![expect(
    unsafe_code,
    reason = "looks up C functions by name and types them by the standard's declarations"
)]

use std::ffi::{c_char, c_void};

use crate::SkfError;
use crate::blobs::{BlockCipherParam, DevInfo, EccPublicKeyBlob, EccSignatureBlob, FileAttribute};

type H = *mut c_void;
type Str = *mut c_char;

/// Declares a set of functions: a struct with one field per function, and
/// its lookup in a loaded library.
macro_rules! functions {
    (
        required $req:ident { $($rf:ident = $rn:literal : fn($($ra:ty),*);)* }
        optional $opt:ident { $($of:ident = $on:literal : fn($($oa:ty),*);)* }
    ) => {
        /// The functions every SKF library exports.
        pub(crate) struct $req {
            $(pub(crate) $rf: unsafe extern "C" fn($($ra),*) -> u32,)*
        }

        /// Functions some libraries lack; each is asked for when called.
        pub(crate) struct $opt {
            $(pub(crate) $of: Option<unsafe extern "C" fn($($oa),*) -> u32>,)*
        }

        impl $req {
            /// Every function, or `Missing` naming all those absent.
            pub(crate) fn load(lib: &libloading::Library) -> Result<Self, SkfError> {
                let mut missing = Vec::new();
                $(
                    let $rf = lookup::<unsafe extern "C" fn($($ra),*) -> u32>(lib, $rn);
                    if $rf.is_none() {
                        missing.push($rn);
                    }
                )*
                match ($($rf,)*) {
                    ($(Some($rf),)*) => Ok($req { $($rf,)* }),
                    _ => Err(SkfError::Missing(missing)),
                }
            }
        }

        impl $opt {
            pub(crate) fn load(lib: &libloading::Library) -> Self {
                $opt {
                    $($of: lookup::<unsafe extern "C" fn($($oa),*) -> u32>(lib, $on),)*
                }
            }
        }
    };
}

functions! {
    required Required {
        enum_dev = "SKF_EnumDev": fn(i32, Str, *mut u32);
        connect_dev = "SKF_ConnectDev": fn(Str, *mut H);
        disconnect_dev = "SKF_DisConnectDev": fn(H);
        get_dev_info = "SKF_GetDevInfo": fn(H, *mut DevInfo);
        get_dev_state = "SKF_GetDevState": fn(Str, *mut u32);
        gen_random = "SKF_GenRandom": fn(H, *mut u8, u32);
        dev_auth = "SKF_DevAuth": fn(H, *mut u8, u32);
        set_symm_key = "SKF_SetSymmKey": fn(H, *mut u8, u32, *mut H);
        encrypt_init = "SKF_EncryptInit": fn(H, BlockCipherParam);
        encrypt = "SKF_Encrypt": fn(H, *mut u8, u32, *mut u8, *mut u32);
        close_handle = "SKF_CloseHandle": fn(H);
        create_application = "SKF_CreateApplication": fn(H, Str, Str, u32, Str, u32, u32, *mut H);
        enum_application = "SKF_EnumApplication": fn(H, Str, *mut u32);
        open_application = "SKF_OpenApplication": fn(H, Str, *mut H);
        close_application = "SKF_CloseApplication": fn(H);
        verify_pin = "SKF_VerifyPIN": fn(H, u32, Str, *mut u32);
        change_pin = "SKF_ChangePIN": fn(H, u32, Str, Str, *mut u32);
        unblock_pin = "SKF_UnblockPIN": fn(H, Str, Str, *mut u32);
        get_pin_info = "SKF_GetPINInfo": fn(H, u32, *mut u32, *mut u32, *mut i32);
        clear_secure_state = "SKF_ClearSecureState": fn(H);
        create_container = "SKF_CreateContainer": fn(H, Str, *mut H);
        open_container = "SKF_OpenContainer": fn(H, Str, *mut H);
        close_container = "SKF_CloseContainer": fn(H);
        enum_container = "SKF_EnumContainer": fn(H, Str, *mut u32);
        delete_container = "SKF_DeleteContainer": fn(H, Str);
        gen_ecc_key_pair = "SKF_GenECCKeyPair": fn(H, u32, *mut EccPublicKeyBlob);
        export_public_key = "SKF_ExportPublicKey": fn(H, i32, *mut u8, *mut u32);
        ecc_sign_data = "SKF_ECCSignData": fn(H, *mut u8, u32, *mut EccSignatureBlob);
        import_certificate = "SKF_ImportCertificate": fn(H, i32, *mut u8, u32);
        export_certificate = "SKF_ExportCertificate": fn(H, i32, *mut u8, *mut u32);
        create_file = "SKF_CreateFile": fn(H, Str, u32, u32, u32);
        read_file = "SKF_ReadFile": fn(H, Str, u32, u32, *mut u8, *mut u32);
        write_file = "SKF_WriteFile": fn(H, Str, u32, *mut u8, u32);
        enum_files = "SKF_EnumFiles": fn(H, Str, *mut u32);
        delete_file = "SKF_DeleteFile": fn(H, Str);
        get_file_info = "SKF_GetFileInfo": fn(H, Str, *mut FileAttribute);
    }
    optional Optional {
        wait_for_dev_event = "SKF_WaitForDevEvent": fn(Str, *mut u32, *mut u32);
        cancel_wait_for_dev_event = "SKF_CancelWaitForDevEvent": fn();
        digest_init = "SKF_DigestInit": fn(H, u32, *mut EccPublicKeyBlob, *mut u8, u32, *mut H);
        digest = "SKF_Digest": fn(H, *mut u8, u32, *mut u8, *mut u32);
        ecc_verify = "SKF_ECCVerify": fn(H, *mut EccPublicKeyBlob, *mut u8, u32, *mut EccSignatureBlob);
        ext_ecc_verify = "SKF_ExtECCVerify": fn(H, *mut EccPublicKeyBlob, *mut u8, u32, *mut EccSignatureBlob);
        // The ECCCIPHERBLOB is variable-length: passed as its bytes.
        ext_ecc_encrypt = "SKF_ExtECCEncrypt": fn(H, *mut EccPublicKeyBlob, *mut u8, u32, *mut u8);
        import_ecc_key_pair = "SKF_ImportECCKeyPair": fn(H, *mut u8);
        ecc_prv_key_decrypt = "SKF_ECCPrvKeyDecrypt": fn(H, *mut u8, *mut u8, *mut u32);
        get_container_type = "SKF_GetContainerType": fn(H, *mut u32);
        delete_application = "SKF_DeleteApplication": fn(H, Str);
    }
}

/// The function `name` as a `T`, if the library exports it.
fn lookup<T: Copy>(lib: &libloading::Library, name: &str) -> Option<T> {
    // SAFETY: every `T` above is the C declaration of `name` in GM/T 0016
    // (as softskf's include/skf.h writes it: 4-byte ULONG and BOOL, packed
    // structures). That the library implements its exports with these
    // signatures is the trust placed in a vendor's library when it is
    // loaded, which no Rust code can check. The pointer is copied out of
    // the `Symbol`; `Lib` keeps the library loaded while it is used.
    unsafe { lib.get::<T>(name.as_bytes()) }
        .ok()
        .map(|symbol| *symbol)
}
