//! An application's files (GM/T 0016 §7.4): small objects such as the
//! holder's seal image, each with its own read and write rights.
//!
//! Files are read and written in chunks: vendors limit one transfer (often
//! to a few kilobytes, the APDU's size), and 2 KiB fits every key we know.

use crate::SkfError;
use crate::app::App;
use crate::blobs::field_text;
use crate::names::{self, parse_list};

/// The most bytes one `SKF_ReadFile` or `SKF_WriteFile` moves.
const CHUNK: usize = 2048;

/// `FILEATTRIBUTE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub size: u32,
    /// [`crate::access`] rights.
    pub read_rights: u32,
    pub write_rights: u32,
}

impl App<'_> {
    /// Creates a file of `size` bytes (its size is fixed), readable and
    /// writable by the [`crate::access`] rights given.
    pub fn create_file(
        &self,
        name: &str,
        size: u32,
        read_rights: u32,
        write_rights: u32,
    ) -> Result<(), SkfError> {
        self.raw().create_file(
            &names::name("文件名", name)?,
            size,
            read_rights,
            write_rights,
        )
    }

    /// Writes `data` at the start of the file (it must fit the file's size).
    pub fn write_file(&self, name: &str, data: &[u8]) -> Result<(), SkfError> {
        let c_name = names::name("文件名", name)?;
        if data.len() > names::MAX_OUTPUT {
            return Err(SkfError::InvalidInput("文件过大".into()));
        }
        for (index, chunk) in data.chunks(CHUNK).enumerate() {
            // At most 1 MiB: the offset fits.
            let offset = (index * CHUNK) as u32;
            self.raw().write_file(&c_name, offset, chunk)?;
        }
        Ok(())
    }

    /// The whole file, by the size `SKF_GetFileInfo` reports.
    pub fn read_file(&self, name: &str) -> Result<Vec<u8>, SkfError> {
        let c_name = names::name("文件名", name)?;
        let size = self.raw().get_file_info(&c_name)?.file_size as usize;
        if size > names::MAX_OUTPUT {
            return Err(SkfError::Vendor(format!(
                "SKF_GetFileInfo reported a file of {size} bytes"
            )));
        }
        let mut data = vec![0u8; size];
        let mut done = 0;
        while done < size {
            let end = (done + CHUNK).min(size);
            let read = self
                .raw()
                .read_file(&c_name, done as u32, &mut data[done..end])?;
            let read = names::checked_len("SKF_ReadFile", read, end - done)?;
            if read == 0 {
                return Err(SkfError::Vendor(format!(
                    "SKF_ReadFile read nothing at {done} of {size} bytes"
                )));
            }
            done += read;
        }
        Ok(data)
    }

    /// `SKF_GetFileInfo`.
    pub fn file_info(&self, name: &str) -> Result<FileInfo, SkfError> {
        let info = self.raw().get_file_info(&names::name("文件名", name)?)?;
        Ok(FileInfo {
            name: field_text(&info.file_name),
            size: info.file_size,
            read_rights: info.read_rights,
            write_rights: info.write_rights,
        })
    }

    /// The files' names (`SKF_EnumFiles`).
    pub fn files(&self) -> Result<Vec<String>, SkfError> {
        let list = names::fetch("SKF_EnumFiles", |buf| self.raw().enum_names(true, buf))?;
        Ok(parse_list(&list))
    }

    pub fn delete_file(&self, name: &str) -> Result<(), SkfError> {
        self.raw().delete(true, &names::name("文件名", name)?)
    }
}
