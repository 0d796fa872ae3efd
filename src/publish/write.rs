//! The atomic writer: output directories, temp files beside their target, fsync and rename, so a
//! reader never sees a torn file and an unchanged file keeps its modification time; the
//! pre-compressed variants written beside each published file (`<name>.gz`, `<name>.br`), so the
//! server never compresses per request; and the process-wide count of replaced files, which tells
//! an in-process server that its cached copies may be stale.
//!
//! Does not own what is written (rendering: `rss.rs`, `atom.rs`, `json.rs`, `opml.rs`) or file
//! names (`mod.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::PublishError;

/// The smallest brotli window used (128 KB), whatever the file's size (see [`Encoding::encode`]).
const MIN_BROTLI_WINDOW_BITS: i32 = 17;

/// A content encoding a published file is also stored in, as `<name><suffix>` beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Brotli,
}

impl Encoding {
    /// Every encoding written beside a published file, the one preferred by the server first.
    pub const ALL: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }

    /// What the variant's name adds to the file's: `.gz`, `.br`.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Gzip => ".gz",
            Encoding::Brotli => ".br",
        }
    }

    /// The media type of the variant as a file of its own.
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::Gzip => "application/gzip",
            Encoding::Brotli => "application/x-brotli",
        }
    }

    /// Where the variant of `path` in this encoding lives.
    pub fn path_of(self, path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(self.suffix());
        path.with_file_name(name)
    }

    /// `bytes` in this encoding. Deterministic (no time stamp in the gzip header), so an unchanged
    /// file compresses to the same bytes. Levels: gzip 6 and brotli 5 cost a few milliseconds per
    /// feed, and a feed is only compressed when it changed.
    pub fn encode(self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoding::Gzip => {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
                enc.write_all(bytes)?;
                enc.finish()
            }
            Encoding::Brotli => {
                let mut out = Vec::new();
                // A window just large enough for the whole file compresses exactly as well as
                // the largest (4 MB) and keeps the encoder's buffers to the file's size. Never
                // below 128 KB: at quality 5 a 64 KB window selects a hasher whose 32 MB table
                // is allocated and zeroed on every call (page faults costing ten times the
                // compression itself), where 128 KB selects one of about 1 MB.
                let lgwin = (MIN_BROTLI_WINDOW_BITS..22)
                    .find(|w| (1usize << w) - 16 >= bytes.len())
                    .unwrap_or(22);
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 5,
                    lgwin,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
                Ok(out)
            }
        }
    }

    /// The original bytes of `encoded`, or `None` when it is not valid in this encoding.
    pub fn decode(self, encoded: &[u8]) -> Option<Vec<u8>> {
        use std::io::Read;
        let mut out = Vec::new();
        let ok = match self {
            Encoding::Gzip => flate2::read::GzDecoder::new(encoded)
                .read_to_end(&mut out)
                .is_ok(),
            Encoding::Brotli => brotli::Decompressor::new(encoded, 64 * 1024)
                .read_to_end(&mut out)
                .is_ok(),
        };
        ok.then_some(out)
    }
}

/// Files replaced by this process so far. A server in the same process compares it with the
/// count it last saw to know, without touching the file system, that nothing was republished.
static REPLACED: AtomicU64 = AtomicU64::new(0);

/// How many files this process has replaced in a public directory (see [`write_atomic`]).
pub fn generation() -> u64 {
    REPLACED.load(Ordering::Acquire)
}

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
    replace(path, bytes).map_err(err)
}

/// Publishes `bytes` at `path` with its pre-compressed variants beside it. The variants are
/// written first, so a server that finds a new main file also finds its variants (it checks that
/// a variant decodes to the main file before serving it). Nothing is written when the file and
/// its variants are already current.
pub fn write_published(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let current = std::fs::read(path).is_ok_and(|old| old == bytes)
        && Encoding::ALL.iter().all(|e| e.path_of(path).is_file());
    if current {
        return Ok(());
    }
    for encoding in Encoding::ALL {
        let variant = encoding.path_of(path);
        let encoded = encoding
            .encode(bytes)
            .map_err(|source| PublishError::Write {
                path: variant.clone(),
                source,
            })?;
        write_atomic(&variant, &encoded)?;
    }
    write_atomic(path, bytes)
}

/// Temp file, fsync, rename, fsync the directory; counts the replacement.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
        REPLACED.fetch_add(1, Ordering::AcqRel);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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

    /// Minor page faults of the calling thread so far: fresh memory it touched.
    #[cfg(target_os = "linux")]
    fn thread_faults() -> i64 {
        // SAFETY: getrusage only writes the struct it is given; all-zero bytes are a valid
        // `rusage`.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) },
            0
        );
        usage.ru_minflt
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn compressing_a_small_feed_touches_little_fresh_memory() {
        // About 40 KB of varied feed-like markup: small enough for a 64 KB brotli window.
        let text: String = (0..400)
            .map(|i| {
                format!(
                    "<item><title>Story {i}</title><p>Paragraph {}</p></item>\n",
                    i * 7919 % 1000
                )
            })
            .collect();
        assert!(text.len() < 64 * 1024, "{}", text.len());
        Encoding::Brotli.encode(text.as_bytes()).unwrap();
        let before = thread_faults();
        for _ in 0..3 {
            Encoding::Brotli.encode(text.as_bytes()).unwrap();
        }
        let pages = (thread_faults() - before) / 3;
        // 32 MB zeroed per call would be 8,192 pages of 4 KB.
        assert!(pages < 1024, "{pages} pages faulted in per compression");
    }

    #[test]
    fn published_files_get_variants_that_decode_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rss");
        let text = "<rss>a feed that repeats, a feed that repeats, a feed</rss>".repeat(50);
        let before = generation();
        write_published(&path, text.as_bytes()).unwrap();
        assert!(generation() >= before + 3, "three files replaced");
        for encoding in Encoding::ALL {
            let encoded = std::fs::read(encoding.path_of(&path)).unwrap();
            assert!(encoded.len() < text.len() / 4, "{encoding:?}");
            assert_eq!(encoding.decode(&encoded).unwrap(), text.as_bytes());
            assert_eq!(
                encoding.encode(text.as_bytes()).unwrap(),
                encoded,
                "deterministic"
            );
        }
        assert_eq!(Encoding::Gzip.path_of(&path), dir.path().join("x.rss.gz"));
        assert!(Encoding::Brotli.decode(b"not brotli at all").is_none());
        // A lost variant is written again even though the main file is unchanged.
        std::fs::remove_file(Encoding::Gzip.path_of(&path)).unwrap();
        write_published(&path, text.as_bytes()).unwrap();
        assert!(Encoding::Gzip.path_of(&path).is_file());
    }
}
