//! The identifiers and flags the interface passes as numbers: algorithm IDs
//! (GM/T 0006-2012), access rights, device states and events (GM/T 0016).

/// `SGD_SM4_ECB`, `SGD_SM4_CBC`: the symmetric algorithms offered.
pub const SGD_SM4_ECB: u32 = 0x0000_0401;
pub const SGD_SM4_CBC: u32 = 0x0000_0402;

/// SM2 signing. GM/T 0006-2012 numbers it `SGD_SM2_1 = 0x00020200` (with
/// `SGD_SM2 = 0x00020100` for SM2 in general), but many vendor SKF headers
/// call 0x00020100 `SGD_SM2_1`; `SKF_GenECCKeyPair` accepts both.
pub const SGD_SM2: u32 = 0x0002_0100;
/// RSA (GM/T 0006-2012), in `DEVINFO.AlgAsymCap` of an RSA-only key.
pub const SGD_RSA: u32 = 0x0001_0000;
pub const SGD_SM2_1: u32 = 0x0002_0200;
/// SM2 encryption (`SGD_SM2_3`, GM/T 0006-2012).
pub const SGD_SM2_3: u32 = 0x0002_0800;

/// `SGD_SM3`, the one hash offered.
pub const SGD_SM3: u32 = 0x0000_0001;

/// Access rights of files and of creating files.
pub const SECURE_NEVER_ACCOUNT: u32 = 0x0000_0000;
pub const SECURE_ADM_ACCOUNT: u32 = 0x0000_0001;
pub const SECURE_USER_ACCOUNT: u32 = 0x0000_0010;
pub const SECURE_ANYONE_ACCOUNT: u32 = 0x0000_00FF;

/// `SKF_GetDevState`'s answers.
pub const DEV_ABSENT_STATE: u32 = 0;
pub const DEV_PRESENT_STATE: u32 = 1;

/// `SKF_WaitForDevEvent`'s events.
pub const EVENT_ARRIVED: u32 = 1;
pub const EVENT_REMOVED: u32 = 2;

/// `SKF_GetContainerType`'s answers.
pub const CONTAINER_EMPTY: u32 = 0;
pub const CONTAINER_ECC: u32 = 2;

/// Whether `rights` is a value the standard defines: a combination of the
/// administrator and user bits, or anyone.
pub fn rights_valid(rights: u32) -> bool {
    rights == SECURE_ANYONE_ACCOUNT || rights & !(SECURE_ADM_ACCOUNT | SECURE_USER_ACCOUNT) == 0
}
