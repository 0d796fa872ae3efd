//! The atomic writer: output directories, temp files beside their target, fsync and rename, so a
//! reader never sees a torn file and an unchanged file keeps its modification time.
//!
//! Does not own what is written (rendering: `rss.rs`, `atom.rs`, `json.rs`, `opml.rs`) or file
//! names (`mod.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::PublishError;

/// Creates the output directory and its parents.
pub(super) fn create_dir(dir: &Path) -> Result<(), PublishError> {
    std::fs::create_dir_all(dir).map_err(|source| PublishError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Replaces `path` with `bytes` so that readers see either the old or the new file, never a torn
/// one, even across a crash: temp file in the same directory, fsync, rename, fsync the directory.
/// An unchanged file is left alone, so its modification time (the served Last-Modified) only
/// moves when the content does.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let err = |source| PublishError::Write {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable. Directories cannot be opened this way everywhere; the
        // file's own data is already synced, so failing here is not worth failing the publish.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// A temp name beside `path`, unique per process and call so concurrent writers never share one.
/// Starts with a dot so the server's directory listing (which only takes valid ids) ignores it.
fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_content_keeps_the_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rss");
        write_atomic(&path, b"one").unwrap();
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        let inode = std::fs::metadata(&path)
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap();
        write_atomic(&path, b"one").unwrap();
        let m = std::fs::metadata(&path).unwrap();
        assert_eq!(m.modified().unwrap(), before);
        assert_eq!(std::os::unix::fs::MetadataExt::ino(&m), inode);
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }
}
