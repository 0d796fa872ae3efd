//! Cached bodies the kernel sends without copying them: on Linux a large published file is kept
//! in a sealed memory file (`memfd`) mapped read-only, and a response write whose bytes lie in
//! such a mapping is sent with `sendfile` from it, the way static-file servers send from the page
//! cache, instead of being copied into the socket by `write`.
//!
//! Why it is sound: the bytes a write was asked to send are, by address, the mapping's own bytes,
//! and the memory file is sealed against writes, shrinking and growing before it is mapped, so
//! what `sendfile` reads at that offset is exactly what the caller holds. A mapping is listed here
//! while it lives and delisted before it is unmapped, so an address found here is always current.
//!
//! Owns: building such buffers and the zero-copy write. Does not own: which files are cached
//! (`files`) or the connection's bookkeeping around the write (`conn`).

use axum::body::Bytes;

/// Buffers smaller than this are copied as usual: for them the copy costs less than the extra
/// system call.
const MIN_BYTES: usize = 16 * 1024;
/// Most memory files at once: each holds a descriptor (counted in the server's reserve, see
/// `conn`). Bodies cached beyond them are copied as usual.
pub(super) const MAX_MAPPINGS: usize = 64;

/// `data` as shared bytes, backed by a sealed memory file when it is large enough and the system
/// allows it (else by the vector itself).
pub(super) fn shared(data: Vec<u8>) -> Bytes {
    #[cfg(target_os = "linux")]
    if data.len() >= MIN_BYTES
        && let Some(mapped) = linux::Mapped::new(&data)
    {
        return Bytes::from_owner(mapped);
    }
    Bytes::from(data)
}

#[cfg(target_os = "linux")]
pub(super) use linux::plan;

#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::sync::{Arc, RwLock};

    use super::{MAX_MAPPINGS, MIN_BYTES};

    /// One listed mapping: its address range and its memory file.
    struct Region {
        start: usize,
        len: usize,
        fd: Arc<OwnedFd>,
    }

    /// Every live mapping. A handful per published file, looked up only for large writes.
    static REGIONS: RwLock<Vec<Region>> = RwLock::new(Vec::new());

    fn regions() -> std::sync::RwLockReadGuard<'static, Vec<Region>> {
        REGIONS.read().unwrap_or_else(|p| p.into_inner())
    }

    fn regions_mut() -> std::sync::RwLockWriteGuard<'static, Vec<Region>> {
        REGIONS.write().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only mapping of a sealed memory file holding a copy of some bytes.
    pub(super) struct Mapped {
        ptr: *const u8,
        len: usize,
    }

    // SAFETY: the mapping is read-only and immutable (sealed) for its whole life; sharing and
    // sending a pointer to it between threads is like sharing a `&'static [u8]`.
    unsafe impl Send for Mapped {}
    unsafe impl Sync for Mapped {}

    impl AsRef<[u8]> for Mapped {
        fn as_ref(&self) -> &[u8] {
            // SAFETY: `ptr` is a live mapping of `len` readable bytes until `drop`.
            unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
        }
    }

    impl Mapped {
        /// `None` when the system refuses any step (no memfd, no seals, no memory).
        pub(super) fn new(data: &[u8]) -> Option<Self> {
            if regions().len() >= MAX_MAPPINGS {
                return None;
            }
            let fd = sealed_copy(data).ok()?;
            // SAFETY: maps `data.len()` bytes of a file of exactly that size, read-only and
            // shared; the result is checked before use.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    data.len(),
                    libc::PROT_READ,
                    libc::MAP_SHARED,
                    fd.as_raw_fd(),
                    0,
                )
            };
            if ptr == libc::MAP_FAILED {
                return None;
            }
            let mapped = Mapped {
                ptr: ptr as *const u8,
                len: data.len(),
            };
            let mut regions = regions_mut();
            if regions.len() >= MAX_MAPPINGS {
                drop(regions);
                return None; // dropping `mapped` unmaps it
            }
            regions.push(Region {
                start: ptr as usize,
                len: data.len(),
                fd: Arc::new(fd),
            });
            Some(mapped)
        }
    }

    impl Drop for Mapped {
        fn drop(&mut self) {
            regions_mut().retain(|r| r.start != self.ptr as usize);
            // SAFETY: unmaps the mapping made in `new`, after delisting it; no slice of it
            // outlives the `Bytes` that owns this value.
            unsafe {
                libc::munmap(self.ptr as *mut libc::c_void, self.len);
            }
        }
    }

    /// A memory file holding `data`, sealed so that it can never change.
    fn sealed_copy(data: &[u8]) -> io::Result<OwnedFd> {
        let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
        // SAFETY: the name is a NUL-terminated literal; the result is checked.
        let raw = unsafe { libc::memfd_create(c"clearfeed-published".as_ptr(), flags) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a new descriptor owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut file = std::fs::File::from(fd);
        io::Write::write_all(&mut file, data)?;
        let seals =
            libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on a descriptor we own, with an integer argument.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(OwnedFd::from(file))
    }

    /// How to send a list of buffers whose buffer `prefix` lies in a mapping: the buffers before
    /// it first, marked as not the end of the data so that they leave in one segment with what
    /// follows, then that buffer from its memory file.
    pub(crate) struct Plan {
        prefix: usize,
        fd: Arc<OwnedFd>,
        offset: usize,
        len: usize,
    }

    /// The zero-copy plan for `bufs`, when their first large buffer lies in a listed mapping.
    pub(crate) fn plan(bufs: &[io::IoSlice<'_>]) -> Option<Plan> {
        let prefix = bufs.iter().position(|b| b.len() >= MIN_BYTES)?;
        let (start, len) = (bufs[prefix].as_ptr() as usize, bufs[prefix].len());
        let regions = regions();
        let r = regions
            .iter()
            .find(|r| r.start <= start && start + len <= r.start + r.len)?;
        Some(Plan {
            prefix,
            fd: r.fd.clone(),
            offset: start - r.start,
            len,
        })
    }

    impl Plan {
        /// One non-blocking send on `socket` of what comes first in `bufs` (those the plan was
        /// made for): the count sent, or `WouldBlock`.
        pub(crate) fn send(&self, socket: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
            let n = if self.prefix > 0 {
                let head = &bufs[..self.prefix];
                // SAFETY: a zeroed msghdr is valid; the iovec array (IoSlice is iovec-compatible)
                // lives for the call.
                let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
                msg.msg_iov = head.as_ptr() as *mut libc::iovec;
                msg.msg_iovlen = head.len() as _;
                // SAFETY: sends from buffers that live for the call on a descriptor the caller
                // holds open.
                unsafe { libc::sendmsg(socket, &msg, libc::MSG_MORE | libc::MSG_NOSIGNAL) }
            } else {
                let mut off = self.offset as libc::off_t;
                // SAFETY: both descriptors are open for the call; `off` lives for it.
                unsafe { libc::sendfile(socket, self.fd.as_raw_fd(), &mut off, self.len) }
            };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(n as usize)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_mapping_is_listed_while_it_lives_and_holds_the_bytes() {
            let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
            let bytes = super::super::shared(data.clone());
            assert_eq!(&bytes[..], &data[..]);
            let slice = bytes.slice(1000..50_000);
            {
                let bufs = [io::IoSlice::new(b"head"), io::IoSlice::new(&slice)];
                let found = plan(&bufs).expect("found");
                assert_eq!((found.prefix, found.offset, found.len), (1, 1000, 49_000));
            }
            let start = bytes.as_ptr() as usize;
            drop((slice, bytes));
            assert!(!regions().iter().any(|r| r.start == start), "delisted");
            let heap = vec![7u8; 100_000];
            assert!(plan(&[io::IoSlice::new(&heap)]).is_none());
        }
    }
}
