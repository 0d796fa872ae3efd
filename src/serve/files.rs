//! The server's in-memory copy of the public directory: each published file's bytes, its
//! pre-compressed variants and their strong ETags, loaded once and kept until the file changes.
//!
//! Freshness without a file-system call per request. A file replaced by this process (`publish`
//! inside the daemon) bumps [`publish::generation`]; an entry confirmed at the current generation
//! is served as it is, and only an entry older than that is checked with one `stat`. Files written
//! by another process (`clearfeed run` beside a separate `clearfeed serve`) are noticed by a
//! watcher task that stats the cached files every [`WATCH_INTERVAL`], off the request path, and
//! drops the entries that changed: a reader may get the previous copy for up to that long, well
//! inside the feeds' `max-age`. Served from a bucket prefix (`publish_to = "s3://…"`), an entry is
//! loaded with one GET per object, and the watcher lists the prefix every [`S3_POLL`] and drops
//! the entries whose object changed (size, time or ETag). What is kept: the files readers asked for (three feeds and their
//! variants per feed, about 230 + 2 × 35 KB for a 20-item feed), nothing else.
//!
//! Owns: reading and listing the public directory. Does not own: validators' rules or responses
//! (`conditional`), nor what the files contain (`publish`).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::HeaderValue;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{AppError, zerocopy};
use crate::publish::{self, Encoding, JsonFeed, ObjectInfo, PublishTarget, S3Prefix};

/// How often the watcher looks for files replaced by another process.
pub(super) const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// How often the watcher lists a bucket prefix (one request) for objects replaced.
pub(super) const S3_POLL: Duration = Duration::from_secs(2);

/// The published files of one public directory, cached. Cheap to clone.
#[derive(Clone)]
pub(super) struct PublicFiles {
    inner: Arc<Inner>,
}

struct Inner {
    /// The public directory; unused when `s3` is set.
    dir: PathBuf,
    s3: Option<S3Prefix>,
    cache: Mutex<HashMap<String, Arc<CachedFile>>>,
    watching: AtomicBool,
}

/// One byte sequence as served, with its strong validator.
#[derive(Debug)]
pub(super) struct Variant {
    pub(super) bytes: Bytes,
    pub(super) etag: HeaderValue,
}

/// A published file as served: the plain bytes, the pre-compressed variants found beside it (each
/// checked to decode to the plain bytes), and the validators.
#[derive(Debug)]
pub(super) struct CachedFile {
    pub(super) plain: Variant,
    /// In [`Encoding::ALL`] order, the server's preference.
    pub(super) encoded: Vec<(Encoding, Variant)>,
    /// The plain tag as text, for comparing with `If-None-Match`.
    pub(super) etag: String,
    pub(super) modified: DateTime<Utc>,
    pub(super) last_modified: HeaderValue,
    key: FileKey,
    /// The [`publish::generation`] at which this entry was last known current.
    confirmed: AtomicU64,
}

/// What changes whenever a file is replaced: publish renames a new file over the old one, so the
/// inode changes even when size and time stamp happen to match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileKey {
    modified: SystemTime,
    len: u64,
    inode: u64,
}

impl FileKey {
    fn of(meta: &std::fs::Metadata) -> Self {
        FileKey {
            modified: meta.modified().unwrap_or(UNIX_EPOCH),
            len: meta.len(),
            inode: inode(meta),
        }
    }

    fn of_path(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| FileKey::of(&m))
    }

    /// An object's: its time and size, and its ETag (hashed) in place of an inode.
    fn of_object(info: &ObjectInfo) -> Self {
        let tag = Sha256::digest(info.e_tag.as_deref().unwrap_or_default().as_bytes());
        FileKey {
            modified: SystemTime::from(info.modified),
            len: info.size,
            inode: u64::from_be_bytes(tag[..8].try_into().unwrap_or_default()),
        }
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}
#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

#[cfg(test)]
impl CachedFile {
    /// An entry with the given plain tag and time, for the validator rules' tests.
    pub(super) fn for_tests(etag: &str, modified: DateTime<Utc>) -> Self {
        CachedFile {
            plain: variant_of(Bytes::from_static(b"x"), etag),
            encoded: Vec::new(),
            etag: etag.into(),
            modified,
            last_modified: header_value(&http_date(modified)),
            key: FileKey {
                modified: UNIX_EPOCH,
                len: 0,
                inode: 0,
            },
            confirmed: AtomicU64::new(0),
        }
    }
}

impl PublicFiles {
    pub(super) fn new(target: PublishTarget) -> Self {
        let (dir, s3) = match target {
            PublishTarget::Dir(dir) => (dir, None),
            PublishTarget::S3(s3) => (PathBuf::new(), Some(s3)),
        };
        PublicFiles {
            inner: Arc::new(Inner {
                dir,
                s3,
                cache: Default::default(),
                watching: AtomicBool::new(false),
            }),
        }
    }

    /// A published file, from memory while it is known current (see the module doc).
    pub(super) async fn file(&self, name: &str) -> Result<Arc<CachedFile>, AppError> {
        self.start_watcher();
        if let Some(s3) = &self.inner.s3 {
            return self.object(s3, name).await;
        }
        let generation = publish::generation();
        let hit = self.inner.lock().get(name).cloned();
        if let Some(hit) = &hit
            && hit.confirmed.load(Ordering::Acquire) == generation
        {
            return Ok(hit.clone());
        }
        let path = self.inner.dir.join(name);
        let stat_path = path.clone();
        let key = blocking(move || std::fs::metadata(&stat_path)).await;
        let key = match key {
            Ok(m) if m.is_file() => FileKey::of(&m),
            Ok(_) => return Err(AppError::NotFound),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NotFound),
            Err(e) => return Err(AppError::internal(&path, e)),
        };
        if let Some(hit) = hit
            && hit.key == key
        {
            hit.confirmed.fetch_max(generation, Ordering::AcqRel);
            return Ok(hit);
        }
        let load_path = path.clone();
        let entry = match blocking(move || load(&load_path, generation)).await {
            Ok(entry) => Arc::new(entry),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NotFound),
            Err(e) => return Err(AppError::internal(&path, e)),
        };
        self.inner.lock().insert(name.to_string(), entry.clone());
        Ok(entry)
    }

    /// A published object of the bucket prefix: from memory while the watcher has not seen it
    /// change, else one GET for it and one for each of its variants.
    async fn object(&self, s3: &S3Prefix, name: &str) -> Result<Arc<CachedFile>, AppError> {
        if let Some(hit) = self.inner.lock().get(name).cloned() {
            return Ok(hit);
        }
        let failed = |e: publish::PublishError| AppError::Internal(e.to_string());
        let Some((bytes, info)) = s3.get(name).await.map_err(failed)? else {
            return Err(AppError::NotFound);
        };
        let mut variants = Vec::new();
        for encoding in Encoding::ALL {
            let name = format!("{name}{}", encoding.suffix());
            let variant = s3.get(&name).await.map_err(failed)?;
            variants.push((encoding, variant.map(|(bytes, _)| bytes)));
        }
        let entry = Arc::new(cached(
            bytes,
            variants,
            info.modified,
            FileKey::of_object(&info),
        ));
        self.inner.lock().insert(name.to_string(), entry.clone());
        Ok(entry)
    }

    /// Starts the watcher on first use (it needs the server's runtime); it ends with the server.
    fn start_watcher(&self) {
        // Read first: every request passes here, and a read keeps the flag's cache line shared.
        if self.inner.watching.load(Ordering::Acquire)
            || self.inner.watching.swap(true, Ordering::AcqRel)
        {
            return;
        }
        match &self.inner.s3 {
            Some(s3) => tokio::spawn(watch_s3(Arc::downgrade(&self.inner), s3.clone())),
            None => tokio::spawn(watch(Arc::downgrade(&self.inner))),
        };
    }

    /// Ids of the published JSON feeds.
    async fn json_ids(&self) -> Result<Vec<String>, AppError> {
        if let Some(s3) = &self.inner.s3 {
            let listed = (s3.list().await).map_err(|e| AppError::Internal(e.to_string()))?;
            return Ok(json_ids(listed.iter().map(|o| o.name.as_str())));
        }
        let dir = self.inner.dir.clone();
        match blocking(move || list_json_ids(&dir)).await {
            Ok(ids) => Ok(ids),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(AppError::internal(&self.inner.dir, e)),
        }
    }

    /// Every published feed (ids of `<id>.json` files), sorted, with its parsed JSON Feed.
    pub(super) async fn published_feeds(&self) -> Result<Vec<(String, JsonFeed)>, AppError> {
        let mut ids = self.json_ids().await?;
        ids.sort();
        let mut feeds = Vec::with_capacity(ids.len());
        for id in ids {
            let file = match self.file(&format!("{id}.json")).await {
                Ok(f) => f,
                Err(AppError::NotFound) => continue, // removed since the listing
                Err(e) => return Err(e),
            };
            match serde_json::from_slice::<JsonFeed>(&file.plain.bytes) {
                Ok(feed) => feeds.push((id, feed)),
                Err(e) => {
                    tracing::warn!(feed = %id, error = %e, "published JSON feed is unreadable")
                }
            }
        }
        Ok(feeds)
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<CachedFile>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts and
        // removals), so a poisoned lock is still usable.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs blocking file-system work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

/// The valid feed ids among the `<id>.json` names.
fn json_ids<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    names
        .filter_map(|n| n.strip_suffix(".json"))
        .filter(|id| publish::valid_feed_id(id))
        .map(str::to_string)
        .collect()
}

/// Ids of the `<id>.json` files in `dir` with valid feed ids.
fn list_json_ids(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    Ok(json_ids(names.iter().map(String::as_str)))
}

/// Reads a file and its variants. The key comes from the open file, so it describes exactly the
/// bytes read even when the file is replaced meanwhile.
fn load(path: &Path, generation: u64) -> std::io::Result<CachedFile> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::ErrorKind::NotFound.into());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    let variants = Encoding::ALL
        .into_iter()
        .map(|encoding| (encoding, std::fs::read(encoding.path_of(path)).ok()))
        .collect();
    let modified = DateTime::<Utc>::from(meta.modified().unwrap_or(UNIX_EPOCH));
    let entry = cached(bytes, variants, modified, FileKey::of(&meta));
    entry.confirmed.store(generation, Ordering::Release);
    Ok(entry)
}

/// An entry for `bytes` with those of its `variants` that decode to them: a variant left from an
/// older version of the file (a writer is half-way, or one crashed) must not be served for it.
fn cached(
    bytes: Vec<u8>,
    variants: Vec<(Encoding, Option<Vec<u8>>)>,
    modified: DateTime<Utc>,
    key: FileKey,
) -> CachedFile {
    let tag = strong_etag(&bytes);
    let encoded = variants
        .into_iter()
        .filter_map(|(encoding, variant)| {
            let variant = variant?;
            if encoding.decode(&variant)? != bytes {
                return None;
            }
            let etag = format!("{}-{}\"", tag.trim_end_matches('"'), encoding.token());
            Some((encoding, variant_of(zerocopy::shared(variant), &etag)))
        })
        .collect();
    CachedFile {
        plain: variant_of(zerocopy::shared(bytes), &tag),
        encoded,
        last_modified: header_value(&http_date(modified)),
        etag: tag,
        modified,
        key,
        confirmed: AtomicU64::new(0),
    }
}

fn variant_of(bytes: Bytes, etag: &str) -> Variant {
    Variant {
        bytes,
        etag: header_value(etag),
    }
}

/// Our own tags and dates are plain ASCII.
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// HTTP-date (IMF-fixdate), as `Last-Modified` requires.
pub(super) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A strong ETag: a hash of the exact bytes, so equal bytes always give the same tag (also across
/// restarts and replicas) and any change gives a new one.
pub(super) fn strong_etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Every [`WATCH_INTERVAL`], drops the cached entries whose file was replaced or removed.
async fn watch(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(WATCH_INTERVAL).await;
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let dir = strong.dir.clone();
        let snapshot: Vec<(String, FileKey)> = strong
            .lock()
            .iter()
            .map(|(name, entry)| (name.clone(), entry.key))
            .collect();
        drop(strong);
        let changed = blocking(move || {
            Ok(snapshot
                .into_iter()
                .filter(|(name, key)| FileKey::of_path(&dir.join(name)) != Some(*key))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap_or_default();
        if changed.is_empty() {
            continue;
        }
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let mut cache = strong.lock();
        for (name, key) in changed {
            // Only the entry that was checked: a request may have loaded the new file already.
            if cache.get(&name).is_some_and(|e| e.key == key) {
                cache.remove(&name);
            }
        }
    }
}

/// Every [`S3_POLL`], lists the bucket prefix and drops the cached entries whose object was
/// replaced or removed. A failed listing keeps the entries (served as they were) until one works.
async fn watch_s3(inner: Weak<Inner>, s3: S3Prefix) {
    loop {
        tokio::time::sleep(S3_POLL).await;
        let listed = match s3.list().await {
            Ok(listed) => listed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the published objects");
                continue;
            }
        };
        let now: HashMap<&str, FileKey> = (listed.iter())
            .map(|o| (o.name.as_str(), FileKey::of_object(o)))
            .collect();
        let Some(strong) = inner.upgrade() else {
            return;
        };
        strong
            .lock()
            .retain(|name, entry| now.get(name.as_str()) == Some(&entry.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_etags_follow_the_bytes() {
        assert_eq!(strong_etag(b"abc"), strong_etag(b"abc"));
        assert_ne!(strong_etag(b"abc"), strong_etag(b"abd"));
        assert!(strong_etag(b"").starts_with('"') && !strong_etag(b"").starts_with("W/"));
    }

    #[test]
    fn stale_variants_are_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rss");
        let (old, new) = ("<rss>old</rss>".repeat(20), "<rss>new</rss>".repeat(20));
        publish::write_published(&path, old.as_bytes()).unwrap();
        // The variants of a new version are in place, the main file is not yet (a writer stopped
        // half-way, or is still busy).
        for encoding in Encoding::ALL {
            let encoded = encoding.encode(new.as_bytes()).unwrap();
            publish::write_atomic(&encoding.path_of(&path), &encoded).unwrap();
        }
        let file = load(&path, 0).unwrap();
        assert!(file.encoded.is_empty(), "{:?}", file.encoded);
        assert_eq!(file.plain.bytes, old.as_bytes());
        publish::write_published(&path, new.as_bytes()).unwrap();
        let file = load(&path, 0).unwrap();
        let tokens: Vec<_> = file.encoded.iter().map(|(e, _)| e.token()).collect();
        assert_eq!(tokens, ["br", "gzip"]);
        let gzip = &file.encoded[1].1;
        assert_eq!(
            gzip.etag.to_str().unwrap(),
            format!("{}-gzip\"", file.etag.trim_end_matches('"'))
        );
    }
}
