//! What goes in and comes out as text or by the size protocol: names and
//! PINs checked before the library sees them, name lists parsed, outputs of
//! unknown size fetched with every claimed length checked.

use crate::SkfError;
use crate::ffi::CText;
use crate::sar::SAR_BUFFER_TOO_SMALL;

/// The largest output fetched by the size protocol: a USB key holds a few
/// hundred kilobytes at most, so a vendor asking for more is wrong.
pub(crate) const MAX_OUTPUT: usize = 1024 * 1024;

/// Application and file names (`MAX_FILE_NAME_SIZE`, the 32 bytes of
/// `FILEATTRIBUTE.FileName`).
pub(crate) const NAME_MAX: usize = 32;

/// Container names (`MAX_FILE_CONTAINER_NAME_SIZE` of the vendors' headers).
pub(crate) const CONTAINER_NAME_MAX: usize = 64;

/// An application or file name.
pub(crate) fn name(what: &str, name: &str) -> Result<CText, SkfError> {
    bounded(what, name, NAME_MAX)
}

/// A container name.
pub(crate) fn container_name(name: &str) -> Result<CText, SkfError> {
    bounded("容器名", name, CONTAINER_NAME_MAX)
}

/// A device name, as `SKF_EnumDev` gave it (the standard sets no length).
pub(crate) fn device_name(name: &str) -> Result<CText, SkfError> {
    non_empty("设备名", name)?;
    CText::new("设备名", name.as_bytes())
}

/// A PIN; its length is the key's to judge (it answers `SAR_PIN_LEN_RANGE`).
pub(crate) fn pin(pin: &str) -> Result<CText, SkfError> {
    non_empty("PIN ", pin)?;
    CText::new("PIN ", pin.as_bytes())
}

fn bounded(what: &str, text: &str, max: usize) -> Result<CText, SkfError> {
    non_empty(what, text)?;
    if text.len() > max {
        return Err(SkfError::InvalidInput(format!(
            "{what}最长 {max} 字节（现为 {} 字节）",
            text.len()
        )));
    }
    CText::new(what, text.as_bytes())
}

fn non_empty(what: &str, text: &str) -> Result<(), SkfError> {
    if text.is_empty() {
        Err(SkfError::InvalidInput(format!("{what}不能为空")))
    } else {
        Ok(())
    }
}

/// The names of a list as the standard returns it: each followed by a NUL,
/// the list by one more (or simply ending). What is not UTF-8 (a GBK name)
/// is replaced: such a name can be shown but not opened again.
pub(crate) fn parse_list(list: &[u8]) -> Vec<String> {
    list.split(|&b| b == 0)
        .take_while(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect()
}

/// An output by the size protocol: `call(None)` asks the size, then
/// `call(Some(buffer))` fills a zeroed buffer of that size. A size beyond
/// [`MAX_OUTPUT`] or a length beyond the buffer is a vendor error; an output
/// that grew between the two calls is asked again.
pub(crate) fn fetch(
    function: &'static str,
    mut call: impl FnMut(Option<&mut [u8]>) -> Result<usize, SkfError>,
) -> Result<Vec<u8>, SkfError> {
    for _ in 0..3 {
        let needed = call(None)?;
        if needed == 0 {
            return Ok(Vec::new());
        }
        if needed > MAX_OUTPUT {
            return Err(SkfError::Vendor(format!(
                "{function} asked for {needed} bytes, more than {MAX_OUTPUT}"
            )));
        }
        let mut buf = vec![0u8; needed];
        match call(Some(&mut buf)) {
            Ok(len) => {
                checked_len(function, len, buf.len())?;
                buf.truncate(len);
                return Ok(buf);
            }
            Err(SkfError::Sar {
                code: SAR_BUFFER_TOO_SMALL,
                ..
            }) => continue,
            Err(error) => return Err(error),
        }
    }
    Err(SkfError::Vendor(format!(
        "{function} kept asking for a larger buffer"
    )))
}

/// `Vendor` if the vendor claimed more than the buffer's capacity.
pub(crate) fn checked_len(
    function: &'static str,
    claimed: usize,
    capacity: usize,
) -> Result<usize, SkfError> {
    if claimed > capacity {
        Err(SkfError::overrun(function, claimed, capacity))
    } else {
        Ok(claimed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_end_at_the_empty_name() {
        assert_eq!(parse_list(b"a\0bc\0\0"), ["a", "bc"]);
        assert_eq!(parse_list(b"a\0bc"), ["a", "bc"]);
        assert!(parse_list(b"\0").is_empty());
        assert!(parse_list(b"").is_empty());
    }

    #[test]
    fn names_are_refused_before_the_library() {
        assert!(name("应用名", &"a".repeat(32)).is_ok());
        assert!(matches!(
            name("应用名", &"a".repeat(33)),
            Err(SkfError::InvalidInput(_))
        ));
        assert!(matches!(
            container_name("a\0b"),
            Err(SkfError::InvalidInput(_))
        ));
        assert!(matches!(pin(""), Err(SkfError::InvalidInput(_))));
    }

    #[test]
    fn a_vendor_claiming_more_than_it_was_given_is_refused() {
        let liar = |buf: Option<&mut [u8]>| Ok(if buf.is_some() { 9 } else { 4 });
        assert!(matches!(fetch("SKF_X", liar), Err(SkfError::Vendor(_))));
        let greedy = |_: Option<&mut [u8]>| Ok(MAX_OUTPUT + 1);
        assert!(matches!(fetch("SKF_X", greedy), Err(SkfError::Vendor(_))));
        let honest = |buf: Option<&mut [u8]>| match buf {
            None => Ok(3),
            Some(buf) => {
                buf.copy_from_slice(b"abc");
                Ok(3)
            }
        };
        assert_eq!(fetch("SKF_X", honest).unwrap(), b"abc");
    }
}
