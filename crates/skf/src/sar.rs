//! The return codes of GM/T 0016-2012 appendix A (`SAR_*`), as vendors'
//! headers and softskf's `include/skf.h` number them.

pub const SAR_OK: u32 = 0x0000_0000;
pub const SAR_FAIL: u32 = 0x0A00_0001;
pub const SAR_UNKNOWNERR: u32 = 0x0A00_0002;
pub const SAR_NOTSUPPORTYETERR: u32 = 0x0A00_0003;
pub const SAR_FILEERR: u32 = 0x0A00_0004;
pub const SAR_INVALIDHANDLEERR: u32 = 0x0A00_0005;
pub const SAR_INVALIDPARAMERR: u32 = 0x0A00_0006;
pub const SAR_READFILEERR: u32 = 0x0A00_0007;
pub const SAR_WRITEFILEERR: u32 = 0x0A00_0008;
pub const SAR_NAMELENERR: u32 = 0x0A00_0009;
pub const SAR_KEYUSAGEERR: u32 = 0x0A00_000A;
pub const SAR_TIMEOUTERR: u32 = 0x0A00_000F;
pub const SAR_INDATALENERR: u32 = 0x0A00_0010;
pub const SAR_INDATAERR: u32 = 0x0A00_0011;
pub const SAR_KEYNOTFOUNTERR: u32 = 0x0A00_001B;
pub const SAR_CERTNOTFOUNTERR: u32 = 0x0A00_001C;
pub const SAR_BUFFER_TOO_SMALL: u32 = 0x0A00_0020;
pub const SAR_NOT_EVENTERR: u32 = 0x0A00_0022;
pub const SAR_DEVICE_REMOVED: u32 = 0x0A00_0023;
pub const SAR_PIN_INCORRECT: u32 = 0x0A00_0024;
pub const SAR_PIN_LOCKED: u32 = 0x0A00_0025;
pub const SAR_PIN_INVALID: u32 = 0x0A00_0026;
pub const SAR_PIN_LEN_RANGE: u32 = 0x0A00_0027;
pub const SAR_USER_ALREADY_LOGGED_IN: u32 = 0x0A00_0028;
pub const SAR_USER_PIN_NOT_INITIALIZED: u32 = 0x0A00_0029;
pub const SAR_USER_TYPE_INVALID: u32 = 0x0A00_002A;
pub const SAR_APPLICATION_NAME_INVALID: u32 = 0x0A00_002B;
pub const SAR_APPLICATION_EXISTS: u32 = 0x0A00_002C;
pub const SAR_USER_NOT_LOGGED_IN: u32 = 0x0A00_002D;
pub const SAR_APPLICATION_NOT_EXISTS: u32 = 0x0A00_002E;
pub const SAR_FILE_ALREADY_EXIST: u32 = 0x0A00_002F;
pub const SAR_NO_ROOM: u32 = 0x0A00_0030;
pub const SAR_FILE_NOT_EXIST: u32 = 0x0A00_0031;
pub const SAR_REACH_MAX_CONTAINER_COUNT: u32 = 0x0A00_0032;

/// What a holder is told for the codes they can act on; `None` for the
/// rest, which are shown with their number.
pub(crate) fn holder_message(code: u32) -> Option<&'static str> {
    Some(match code {
        SAR_PIN_INCORRECT => "PIN 不正确",
        SAR_PIN_LOCKED => "PIN 已锁定，请使用“找回密码”",
        SAR_PIN_INVALID | SAR_PIN_LEN_RANGE => "PIN 的格式或长度不符合证书介质的要求",
        SAR_DEVICE_REMOVED => "证书介质已拔出",
        SAR_USER_NOT_LOGGED_IN => "请先输入 PIN 登录",
        SAR_USER_PIN_NOT_INITIALIZED => "证书介质的用户 PIN 尚未设置",
        SAR_NO_ROOM => "证书介质的空间已满",
        SAR_REACH_MAX_CONTAINER_COUNT => "证书介质的容器已满",
        SAR_APPLICATION_NOT_EXISTS => "证书介质中没有这个应用",
        SAR_APPLICATION_EXISTS => "证书介质中已有同名应用",
        SAR_FILE_NOT_EXIST => "证书介质中没有这个文件或容器",
        SAR_FILE_ALREADY_EXIST => "证书介质中已有同名文件或容器",
        SAR_KEYNOTFOUNTERR => "证书介质中没有这个密钥",
        SAR_CERTNOTFOUNTERR => "证书介质中没有这张证书",
        SAR_TIMEOUTERR => "证书介质响应超时，请重新插入后再试",
        SAR_NOTSUPPORTYETERR => "证书介质不支持这项操作",
        _ => return None,
    })
}
