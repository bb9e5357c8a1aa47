//! The crate's one error type, whose values are the standard's `SAR_*` codes.
//!
//! Every failure inside the key is one of these, so the C layer returns
//! `error.code()` and nothing is lost in translation. The values are those of
//! GM/T 0016-2012 appendix A, as every public header spells them; only the
//! codes this key can return are listed. Where the standard has no code of its
//! own for a case, the choice is documented at the variant.

/// `SAR_OK`: the call succeeded.
pub const SAR_OK: u32 = 0x0000_0000;

/// A refusal or failure of an SKF call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[repr(u32)]
pub enum SkfError {
    /// `SAR_FAIL`: also a signature that does not verify, a wrong device
    /// authentication value, and a panic caught at the C boundary.
    #[error("failure (SAR_FAIL)")]
    Fail = 0x0A00_0001,
    /// `SAR_NOTSUPPORTYETERR`: an algorithm or mode this key does not offer.
    #[error("not supported (SAR_NOTSUPPORTYETERR)")]
    NotSupported = 0x0A00_0003,
    /// `SAR_FILEERR`: the device directory could not be read or written.
    #[error("device storage error (SAR_FILEERR)")]
    Storage = 0x0A00_0004,
    /// `SAR_INVALIDHANDLEERR`: a handle never issued, closed, or of another kind.
    #[error("invalid handle (SAR_INVALIDHANDLEERR)")]
    InvalidHandle = 0x0A00_0005,
    /// `SAR_INVALIDPARAMERR`: a null pointer, a malformed blob, a value out of range.
    #[error("invalid parameter (SAR_INVALIDPARAMERR)")]
    InvalidParam = 0x0A00_0006,
    /// `SAR_NAMELENERR`: a name empty or longer than its limit.
    #[error("name length (SAR_NAMELENERR)")]
    NameLength = 0x0A00_0009,
    /// `SAR_NOTINITIALIZEERR`: `SKF_DevAuth` before any `SKF_GenRandom`
    /// challenge, `SKF_Encrypt` before `SKF_EncryptInit`.
    #[error("not initialised (SAR_NOTINITIALIZEERR)")]
    NotInitialized = 0x0A00_000C,
    /// `SAR_INDATALENERR`: input data of a wrong length.
    #[error("input data length (SAR_INDATALENERR)")]
    InputLength = 0x0A00_0010,
    /// `SAR_INDATAERR`: input data that does not decrypt or does not match.
    #[error("input data (SAR_INDATAERR)")]
    InputData = 0x0A00_0011,
    /// `SAR_GENRANDERR`: the operating system's random source failed.
    #[error("random generation (SAR_GENRANDERR)")]
    Random = 0x0A00_0012,
    /// `SAR_HASHOBJERR`: a hash handle already finished.
    #[error("hash object (SAR_HASHOBJERR)")]
    HashObject = 0x0A00_0013,
    /// `SAR_KEYNOTFOUNTERR` (sic): the container has no such key pair.
    #[error("key not found (SAR_KEYNOTFOUNTERR)")]
    KeyNotFound = 0x0A00_001B,
    /// `SAR_CERTNOTFOUNTERR` (sic): the container has no such certificate.
    #[error("certificate not found (SAR_CERTNOTFOUNTERR)")]
    CertNotFound = 0x0A00_001C,
    /// `SAR_DECRYPTPADERR`: PKCS#5 padding wrong after decryption.
    #[error("decryption padding (SAR_DECRYPTPADERR)")]
    Padding = 0x0A00_001E,
    /// `SAR_BUFFER_TOO_SMALL`: the caller's buffer cannot hold the answer
    /// (the needed size is written back).
    #[error("buffer too small (SAR_BUFFER_TOO_SMALL)")]
    BufferTooSmall = 0x0A00_0020,
    /// `SAR_NOT_EVENTERR`: `SKF_WaitForDevEvent` ended by
    /// `SKF_CancelWaitForDevEvent`, without an event.
    #[error("no event (SAR_NOT_EVENTERR)")]
    NoEvent = 0x0A00_0022,
    /// `SAR_DEVICE_REMOVED`: the device of this handle was pulled out.
    #[error("device removed (SAR_DEVICE_REMOVED)")]
    DeviceRemoved = 0x0A00_0023,
    /// `SAR_PIN_INCORRECT`: a wrong PIN (the remaining tries are written back).
    #[error("PIN incorrect (SAR_PIN_INCORRECT)")]
    PinIncorrect = 0x0A00_0024,
    /// `SAR_PIN_LOCKED`: no tries left; only `SKF_UnblockPIN` helps the user PIN.
    #[error("PIN locked (SAR_PIN_LOCKED)")]
    PinLocked = 0x0A00_0025,
    /// `SAR_PIN_LEN_RANGE`: a PIN shorter or longer than the key accepts.
    #[error("PIN length (SAR_PIN_LEN_RANGE)")]
    PinLength = 0x0A00_0027,
    /// `SAR_USER_TYPE_INVALID`: a PIN type other than 0 (admin) or 1 (user).
    #[error("PIN type (SAR_USER_TYPE_INVALID)")]
    PinType = 0x0A00_002A,
    /// `SAR_APPLICATION_EXISTS`.
    #[error("application exists (SAR_APPLICATION_EXISTS)")]
    ApplicationExists = 0x0A00_002C,
    /// `SAR_USER_NOT_LOGGED_IN`: the operation needs a PIN (or, for creating
    /// and deleting applications, device authentication) not given on this
    /// handle. The standard has no separate code for the device's security
    /// state, so that refusal shares this one.
    #[error("not logged in (SAR_USER_NOT_LOGGED_IN)")]
    NotLoggedIn = 0x0A00_002D,
    /// `SAR_APPLICATION_NOT_EXISTS`.
    #[error("application does not exist (SAR_APPLICATION_NOT_EXISTS)")]
    ApplicationNotFound = 0x0A00_002E,
    /// `SAR_FILE_ALREADY_EXIST`: also a container that exists (the standard
    /// has no container codes; on a card a container is a file).
    #[error("already exists (SAR_FILE_ALREADY_EXIST)")]
    AlreadyExists = 0x0A00_002F,
    /// `SAR_NO_ROOM`: the device's space or an object count is exhausted.
    #[error("no room (SAR_NO_ROOM)")]
    NoRoom = 0x0A00_0030,
    /// `SAR_FILE_NOT_EXIST`: also a container that does not exist.
    #[error("not found (SAR_FILE_NOT_EXIST)")]
    NotFound = 0x0A00_0031,
    /// `SAR_REACH_MAX_CONTAINER_COUNT`.
    #[error("too many containers (SAR_REACH_MAX_CONTAINER_COUNT)")]
    TooManyContainers = 0x0A00_0032,
}

impl SkfError {
    /// The `SAR_*` value returned to C.
    pub fn code(self) -> u32 {
        self as u32
    }
}

impl From<std::io::Error> for SkfError {
    fn from(_: std::io::Error) -> Self {
        SkfError::Storage
    }
}
