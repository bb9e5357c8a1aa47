//! Every bound the key puts on its input, in one place.
//!
//! A real key has a few dozen kilobytes; these are roomier but finite, so a
//! caller's mistake (a length of 4 GB, a loop creating files) meets a refusal
//! instead of filling the disk.

/// Application and file names (`MAX_FILE_NAME_SIZE`; `FILEATTRIBUTE` holds
/// 32 bytes). A name of exactly 32 bytes has no terminating NUL there.
pub const NAME_MAX: usize = 32;

/// Container names (`MAX_FILE_CONTAINER_NAME_SIZE` of the public headers):
/// longer than other names, as middleware names containers by GUID.
pub const CONTAINER_NAME_MAX: usize = 64;

/// Device names, labels and serial numbers: `DEVINFO` holds 32 bytes for the
/// label and the serial number, kept NUL-terminated.
pub const DEVICE_TEXT_MAX: usize = 31;

/// Applications per device.
pub const APPS_MAX: usize = 8;

/// Containers per application (`SAR_REACH_MAX_CONTAINER_COUNT` beyond).
pub const CONTAINERS_MAX: usize = 16;

/// Files per application.
pub const FILES_MAX: usize = 32;

/// The size of one file.
pub const FILE_SIZE_MAX: usize = 1024 * 1024;

/// One certificate.
pub const CERT_SIZE_MAX: usize = 16 * 1024;

/// The device's capacity (`DEVINFO.TotalSpace`): files and certificates.
pub const TOTAL_SPACE: u64 = 4 * 1024 * 1024;

/// The longest SM2 plaintext (`DEVINFO.MaxECCBufferSize`).
pub const ECC_BUFFER_MAX: usize = 1024;

/// The longest symmetric input at once (`DEVINFO.MaxBufferSize`).
pub const BUFFER_MAX: usize = 64 * 1024;

/// The longest random asked at once.
pub const RANDOM_MAX: usize = 4096;

/// The longest signer ID for Z (its length in bits must fit ENTL's 16 bits).
pub const ID_MAX: usize = 8191;
