//! Where published files go: the public directory (atomic renames, `write.rs`) or a prefix of an
//! S3-compatible bucket (`publish_to = "s3://bucket/prefix"`), each object written whole with its
//! Content-Type, and read back by `clearfeed serve` from either.
//!
//! An object whose bytes are already the ones to publish is left alone, so its Last-Modified only
//! moves when the content does, as a file's modification time does. The pre-compressed variants
//! (`<name>.br`, `<name>.gz`) are written before the main object, as in a directory.
//!
//! Credentials, region and endpoint come from the standard AWS environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or
//! `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`); `s3_endpoint` in the configuration names the
//! endpoint of an S3-compatible server instead (MinIO, Ceph, Garage, ...), addressed path-style.
//!
//! Owns the target's choice and the object-storage calls. Does not own rendering (`mod.rs`) or
//! the directory writer (`write.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

use super::{Encoding, PublishError};
use crate::model::{FeedMeta, Item};

/// A bucket prefix as configured: `s3://bucket/prefix`, with the endpoint of an S3-compatible
/// server when it is not AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
    /// `s3_endpoint`, e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
}

impl S3Location {
    /// Parses `s3://bucket/prefix` (the prefix may be empty).
    pub fn parse(url: &str, endpoint: Option<String>) -> Result<S3Location, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url:?}: publish_to takes s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains(|c: char| c.is_whitespace()) {
            return Err(format!("{url:?}: no bucket name after s3://"));
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            endpoint,
        })
    }

    /// `s3://bucket/prefix`, for messages.
    pub fn shown(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// An object as listed: enough to notice that it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The name under the prefix (`harbour.rss`).
    pub name: String,
    pub size: u64,
    pub modified: DateTime<Utc>,
    pub e_tag: Option<String>,
}

/// A bucket prefix to publish to or serve from. Cheap to clone.
#[derive(Debug, Clone)]
pub struct S3Prefix {
    store: Arc<AmazonS3>,
    location: S3Location,
}

impl S3Prefix {
    /// A client for `location`: configuration from the AWS environment variables, the endpoint
    /// from `location` when given. Makes no request.
    pub fn open(location: &S3Location) -> Result<S3Prefix, PublishError> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&location.bucket);
        if let Some(endpoint) = &location.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let store = builder.build().map_err(|e| PublishError::Storage {
            target: location.shown(),
            message: e.to_string(),
        })?;
        Ok(S3Prefix {
            store: Arc::new(store),
            location: location.clone(),
        })
    }

    pub fn location(&self) -> &S3Location {
        &self.location
    }

    fn path(&self, name: &str) -> ObjectPath {
        match self.location.prefix.as_str() {
            "" => ObjectPath::from(name),
            prefix => ObjectPath::from(format!("{prefix}/{name}")),
        }
    }

    fn error(&self, name: &str, e: impl std::fmt::Display) -> PublishError {
        PublishError::Storage {
            target: format!("{}/{name}", self.location.shown().trim_end_matches('/')),
            message: e.to_string(),
        }
    }

    /// The object `name` and what its listing says of it, `None` when there is none.
    pub async fn get(&self, name: &str) -> Result<Option<(Vec<u8>, ObjectInfo)>, PublishError> {
        match self.store.get(&self.path(name)).await {
            Ok(got) => {
                let info = ObjectInfo {
                    name: name.to_string(),
                    size: got.meta.size,
                    modified: got.meta.last_modified,
                    e_tag: got.meta.e_tag.clone(),
                };
                let bytes = got.bytes().await.map_err(|e| self.error(name, e))?;
                Ok(Some((bytes.to_vec(), info)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(name, e)),
        }
    }

    /// Every object directly under the prefix.
    pub async fn list(&self) -> Result<Vec<ObjectInfo>, PublishError> {
        let prefix = (!self.location.prefix.is_empty()).then(|| self.path(""));
        let prefix = prefix.map(|p| ObjectPath::from(p.as_ref().trim_end_matches('/')));
        let listed = (self.store.list_with_delimiter(prefix.as_ref()).await)
            .map_err(|e| self.error("", e))?;
        Ok(listed
            .objects
            .into_iter()
            .filter_map(|o| {
                Some(ObjectInfo {
                    name: o.location.filename()?.to_string(),
                    size: o.size,
                    modified: o.last_modified,
                    e_tag: o.e_tag,
                })
            })
            .collect())
    }

    /// Writes `bytes` as the object `name` with `content_type`, unless it already holds them.
    async fn put(
        &self,
        name: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), PublishError> {
        if self.get(name).await?.is_some_and(|(old, _)| old == bytes) {
            return Ok(());
        }
        let attributes =
            Attributes::from_iter([(Attribute::ContentType, content_type.to_string())]);
        let options = PutOptions {
            attributes,
            ..Default::default()
        };
        (self.store)
            .put_opts(&self.path(name), PutPayload::from(bytes), options)
            .await
            .map_err(|e| self.error(name, e))?;
        Ok(())
    }

    /// Publishes `bytes` as `name` with its pre-compressed variants, the variants first.
    async fn put_published(&self, name: &str, bytes: Vec<u8>) -> Result<(), PublishError> {
        for encoding in Encoding::ALL {
            let encoded = encoding.encode(&bytes).map_err(|e| self.error(name, e))?;
            let variant = format!("{name}{}", encoding.suffix());
            self.put(&variant, encoded, encoding.media_type()).await?;
        }
        self.put(name, bytes, content_type_of(name)).await
    }
}

/// The Content-Type of a published file by its name.
pub fn content_type_of(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or_default();
    match crate::model::Format::from_extension(ext) {
        Some(format) => format.content_type(),
        None if ext == "opml" => "text/x-opml; charset=utf-8",
        None => "application/octet-stream",
    }
}

/// Where a pipeline publishes.
#[derive(Debug, Clone)]
pub enum PublishTarget {
    /// The public directory.
    Dir(PathBuf),
    /// A bucket prefix.
    S3(S3Prefix),
}

impl PublishTarget {
    /// The bucket prefix `publish_to` when given (a client, no request made), else `public_dir`.
    pub fn of(publish_to: Option<&S3Location>, public_dir: PathBuf) -> Result<Self, PublishError> {
        Ok(match publish_to {
            Some(location) => PublishTarget::S3(S3Prefix::open(location)?),
            None => PublishTarget::Dir(public_dir),
        })
    }

    /// Renders and writes the three formats of one feed.
    pub async fn write_feed(&self, meta: &FeedMeta, items: &[Item]) -> Result<(), PublishError> {
        match self {
            PublishTarget::Dir(dir) => {
                let (dir, meta, items) = (dir.clone(), meta.clone(), items.to_vec());
                tokio::task::spawn_blocking(move || super::write_feed(&dir, &meta, &items))
                    .await
                    .expect("publishing panicked")
            }
            PublishTarget::S3(s3) => {
                for (name, text) in super::render_feed_files(meta, items)? {
                    s3.put_published(&name, text.into_bytes()).await?;
                }
                Ok(())
            }
        }
    }

    /// Writes `feeds.opml` listing every feed.
    pub async fn write_opml(&self, feeds: &[FeedMeta]) -> Result<(), PublishError> {
        match self {
            PublishTarget::Dir(dir) => {
                let (dir, feeds) = (dir.clone(), feeds.to_vec());
                tokio::task::spawn_blocking(move || super::write_opml(&dir, &feeds))
                    .await
                    .expect("publishing panicked")
            }
            PublishTarget::S3(s3) => {
                let text = super::render_opml(feeds);
                s3.put_published("feeds.opml", text.into_bytes()).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_bad_ones_are_refused() {
        let loc = S3Location::parse("s3://news/clean/feeds/", None).unwrap();
        assert_eq!(
            (loc.bucket.as_str(), loc.prefix.as_str()),
            ("news", "clean/feeds")
        );
        assert_eq!(S3Location::parse("s3://news", None).unwrap().prefix, "");
        assert!(
            S3Location::parse("/srv/public", None)
                .unwrap_err()
                .contains("s3://bucket")
        );
        assert!(
            S3Location::parse("s3:///x", None)
                .unwrap_err()
                .contains("no bucket")
        );
    }

    #[test]
    fn content_types_follow_the_name() {
        assert!(content_type_of("a.rss").starts_with("application/rss+xml"));
        assert!(content_type_of("a.json").starts_with("application/feed+json"));
        assert!(content_type_of("feeds.opml").starts_with("text/x-opml"));
    }
}
