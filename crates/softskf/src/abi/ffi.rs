//! Reading C arguments and writing C results: the pointer work of every
//! entry point, each piece written and justified once.
//!
//! The `unsafe` constructors check what can be checked (null, lengths) and
//! rely on the caller's promises (see [`crate::abi`]) for the rest; the
//! values they return are then safe to use for the length of the call.

#![expect(
    unsafe_code,
    reason = "turns the caller's raw pointers into slices and writers"
)]

use std::ffi::{c_char, c_void};
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::SkfError;
use crate::handles::Handle;

/// A place the caller gave for one value (`ULONG *`, `HANDLE *`, a struct).
pub struct Out<'a, T> {
    ptr: NonNull<T>,
    _call: PhantomData<&'a mut T>,
}

/// A caller's output buffer of fixed length (`BYTE *pb, ULONG ulLen`),
/// written through the pointer: C memory may be uninitialised, so no Rust
/// reference is made to it.
pub struct OutBytes<'a> {
    ptr: NonNull<u8>,
    len: usize,
    _call: PhantomData<&'a mut [u8]>,
}

/// A caller's output buffer and its in/out length (`BYTE *pb, ULONG *pul`).
pub struct OutBuf<'a> {
    buf: *mut u8,
    capacity: usize,
    len: Out<'a, u32>,
}

impl<'a, T> Out<'a, T> {
    /// `InvalidParam` if `ptr` is null.
    ///
    /// # Safety
    ///
    /// A non-null `ptr` is valid for writing a `T` (at any alignment) for
    /// `'a`.
    pub unsafe fn new(ptr: *mut T) -> Result<Self, SkfError> {
        let ptr = NonNull::new(ptr).ok_or(SkfError::InvalidParam)?;
        Ok(Out {
            ptr,
            _call: PhantomData,
        })
    }

    pub fn set(&self, value: T) {
        // SAFETY: `new`'s contract: writable for a T; packed C structs and
        // unusual callers may not align it, hence unaligned.
        unsafe { self.ptr.as_ptr().write_unaligned(value) }
    }

    /// The place, for writing a variable-length tail after it.
    pub fn as_non_null(&self) -> NonNull<T> {
        self.ptr
    }
}

impl<'a> OutBuf<'a> {
    /// `InvalidParam` if `len` is null. A null `buf` asks for the size.
    ///
    /// # Safety
    ///
    /// `len` is valid for reading and writing a `u32`; a non-null `buf` is
    /// valid for writing `*len` bytes; both for `'a`.
    pub unsafe fn new(buf: *mut u8, len: *mut u32) -> Result<Self, SkfError> {
        // SAFETY: forwarded from this function's contract.
        let len = unsafe { Out::new(len)? };
        // SAFETY: non-null and readable by this function's contract.
        let capacity = unsafe { len.ptr.as_ptr().read_unaligned() };
        Ok(OutBuf {
            buf,
            capacity: capacity as usize,
            len,
        })
    }

    /// The size of the caller's buffer (0 if null).
    pub fn capacity(&self) -> usize {
        if self.buf.is_null() { 0 } else { self.capacity }
    }

    /// Answers a size query, or refuses a buffer smaller than `needed`,
    /// before the work is done: `true` if the caller gave room for
    /// `needed` bytes.
    pub fn room_for(&self, needed: usize) -> Result<bool, SkfError> {
        let needed_u32 = u32::try_from(needed).map_err(|_| SkfError::InvalidParam)?;
        if self.buf.is_null() {
            self.len.set(needed_u32);
            Ok(false)
        } else if self.capacity < needed {
            self.len.set(needed_u32);
            Err(SkfError::BufferTooSmall)
        } else {
            Ok(true)
        }
    }

    /// Delivers `data` by the size protocol; `Ok(true)` if it was written,
    /// `Ok(false)` if only its size was asked.
    pub fn fill(&self, data: &[u8]) -> Result<bool, SkfError> {
        if !self.room_for(data.len())? {
            return Ok(false);
        }
        // SAFETY: `buf` is non-null (`room_for` answered true) and valid for
        // `capacity >= data.len()` bytes by `new`'s contract. Every answer
        // is computed into a buffer of Rust's own, so `data` does not
        // overlap the caller's buffer (even when C passes the same buffer
        // for input and output).
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.buf, data.len()) };
        self.len.set(data.len() as u32);
        Ok(true)
    }
}

impl OutBytes<'_> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Fills the buffer; `data` must be exactly its length.
    pub fn write(&self, data: &[u8]) -> Result<(), SkfError> {
        if data.len() != self.len {
            return Err(SkfError::Fail);
        }
        // SAFETY: `out_bytes`' contract: writable for `len` bytes; `data`
        // is Rust's own, as for `OutBuf::fill`.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr(), self.len) };
        Ok(())
    }
}

/// A NUL-terminated string of at most `max` bytes before the NUL:
/// `InvalidParam` if null, `too_long` if longer. Never reads past the NUL,
/// nor past `max + 1` bytes.
///
/// # Safety
///
/// A non-null `text` points to a NUL-terminated string valid for `'a`.
pub unsafe fn c_text<'a>(
    text: *const c_char,
    max: usize,
    too_long: SkfError,
) -> Result<&'a [u8], SkfError> {
    if text.is_null() {
        return Err(SkfError::InvalidParam);
    }
    let start = text.cast::<u8>();
    for len in 0..=max {
        // SAFETY: the `len` bytes before were not NUL, so the string (NUL
        // included) extends at least to index `len`.
        if unsafe { start.add(len).read() } == 0 {
            // SAFETY: the `len` bytes before the NUL are the string's.
            return Ok(unsafe { std::slice::from_raw_parts(start, len) });
        }
    }
    Err(too_long)
}

/// The caller's `len` input bytes; an empty slice for a length of 0 (the
/// pointer is then not used); `InvalidParam` if null with a length.
///
/// # Safety
///
/// A non-null `data` is valid for reading `len` bytes for `'a`.
pub unsafe fn in_bytes<'a>(data: *const u8, len: u32) -> Result<&'a [u8], SkfError> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(SkfError::InvalidParam);
    }
    // SAFETY: non-null and readable for `len` bytes by this function's
    // contract; `len` (a u32) is far below `isize::MAX` on the targets of a
    // C library.
    Ok(unsafe { std::slice::from_raw_parts(data, len as usize) })
}

/// The caller's `len` output bytes (`BYTE *pb, ULONG ulLen`); `InvalidParam`
/// if null or empty.
///
/// # Safety
///
/// A non-null `data` is valid for writing `len` bytes for `'a`.
pub unsafe fn out_bytes<'a>(data: *mut u8, len: u32) -> Result<OutBytes<'a>, SkfError> {
    let ptr = NonNull::new(data).ok_or(SkfError::InvalidParam)?;
    if len == 0 {
        return Err(SkfError::InvalidParam);
    }
    Ok(OutBytes {
        ptr,
        len: len as usize,
        _call: PhantomData,
    })
}

/// A copy of the caller's `T`; `InvalidParam` if null.
///
/// # Safety
///
/// A non-null `ptr` is valid for reading a `T` (at any alignment), and
/// every bit pattern is a valid `T` (the blobs are plain bytes and integers).
pub unsafe fn read<T: Copy>(ptr: *const T) -> Result<T, SkfError> {
    if ptr.is_null() {
        return Err(SkfError::InvalidParam);
    }
    // SAFETY: non-null and readable by this function's contract.
    Ok(unsafe { ptr.read_unaligned() })
}

/// The bytes right after a `head` in the caller's memory (the variable
/// part of `ECCCIPHERBLOB`).
///
/// # Safety
///
/// `head` is non-null and the caller's allocation holds `len` readable
/// bytes after its `size_of::<T>()` bytes, for `'a`.
pub unsafe fn bytes_after<'a, T>(head: *const T, len: usize) -> &'a [u8] {
    // SAFETY: the offset stays in the caller's allocation and the bytes are
    // readable, by this function's contract.
    unsafe { std::slice::from_raw_parts(head.cast::<u8>().add(size_of::<T>()), len) }
}

/// Writes `bytes` right after a `head` in the caller's memory.
///
/// # Safety
///
/// As [`bytes_after`], for writing.
pub unsafe fn write_after<T>(head: NonNull<T>, bytes: &[u8]) {
    // SAFETY: the bytes after `head` are writable by this function's
    // contract; `bytes` is Rust's own, as for `OutBuf::fill`.
    unsafe {
        let tail = head.as_ptr().cast::<u8>().add(size_of::<T>());
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), tail, bytes.len());
    }
}

/// A handle passed by C.
pub fn handle(raw: *mut c_void) -> Handle {
    Handle::from_raw(raw)
}

/// A list of names as the standard returns them: each followed by a NUL,
/// and one more NUL at the end (a lone NUL for an empty list).
pub fn multi_string<'n>(names: impl IntoIterator<Item = &'n [u8]>) -> Vec<u8> {
    let mut list = Vec::new();
    for name in names {
        list.extend_from_slice(name);
        list.push(0);
    }
    list.push(0);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_strings() {
        assert_eq!(multi_string([&b"a"[..], b"bc"]), b"a\0bc\0\0");
        assert_eq!(multi_string([]), b"\0");
    }

    #[test]
    fn text_is_read_up_to_its_limit_only() {
        let short = c"certhall";
        // SAFETY: a NUL-terminated literal.
        let read = unsafe { c_text(short.as_ptr(), 32, SkfError::NameLength) };
        assert_eq!(read, Ok(&b"certhall"[..]));
        // SAFETY: as above.
        let long = unsafe { c_text(short.as_ptr(), 7, SkfError::NameLength) };
        assert_eq!(long, Err(SkfError::NameLength));
        // SAFETY: null is allowed.
        let null = unsafe { c_text(std::ptr::null(), 7, SkfError::NameLength) };
        assert_eq!(null, Err(SkfError::InvalidParam));
    }

    #[test]
    fn the_size_protocol() {
        let mut len = 0u32;
        // SAFETY: `len` is a live u32; the buffer is null.
        let query = unsafe { OutBuf::new(std::ptr::null_mut(), &mut len) }.unwrap();
        assert_eq!(query.fill(b"abc"), Ok(false));
        assert_eq!(len, 3);

        let mut buf = [0u8; 2];
        let mut len = 2u32;
        // SAFETY: `buf` holds `len` bytes.
        let small = unsafe { OutBuf::new(buf.as_mut_ptr(), &mut len) }.unwrap();
        assert_eq!(small.fill(b"abc"), Err(SkfError::BufferTooSmall));
        assert_eq!((len, buf), (3, [0, 0]));

        let mut buf = [0u8; 8];
        let mut len = 8u32;
        // SAFETY: `buf` holds `len` bytes.
        let room = unsafe { OutBuf::new(buf.as_mut_ptr(), &mut len) }.unwrap();
        assert_eq!(room.fill(b"abc"), Ok(true));
        assert_eq!((len, &buf[..3]), (3, &b"abc"[..]));
    }
}
