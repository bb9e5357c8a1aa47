//! Writes that a crash cannot leave half done: the new content goes to a
//! temporary name in the same directory, is flushed to disk, and replaces the
//! old by `rename`, which POSIX makes atomic. A reader (or a `kill -9` at any
//! instant) sees the old file or the new one, never a mix.
//!
//! Temporary names start with a dot, and listings skip dot names.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the temporary names of one process's concurrent writes.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces (or creates) `path` with `bytes`.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temporary_sibling(path)?;
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        // Best effort: a leftover dot file is skipped by listings anyway.
        let _ = fs::remove_file(&temp);
    }
    written?;
    sync_parent(path)
}

/// A dot-prefixed name next to `path`, unique to this process and call.
pub fn temporary_sibling(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("a path without a file name"))?;
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".{}.{unique}.tmp", std::process::id()));
    Ok(path.with_file_name(temp))
}

/// Makes a rename in `path`'s directory durable (the directory entry itself
/// must reach the disk, not only the file).
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) => File::open(parent)?.sync_all(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.json");
        write_file(&path, b"one").unwrap();
        write_file(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["app.json"]);
    }
}
