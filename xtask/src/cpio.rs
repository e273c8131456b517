//! A minimal writer for the cpio "newc" format, the format the Linux kernel
//! unpacks as its initramfs.
//!
//! Writing the archive directly (instead of staging a directory tree and
//! calling `cpio`) keeps the build fast and the output deterministic. The
//! kernel accepts several archives concatenated into one initrd, which is how
//! the per-kernel module archive is combined with the userland archive.

use std::collections::HashSet;
use std::io::{self, Write};

const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

/// Streams entries of a newc archive into `W`.
///
/// Parent directories are created automatically, each once.
pub(crate) struct Writer<W: Write> {
    out: W,
    written: u64,
    next_ino: u32,
    dirs: HashSet<String>,
}

impl<W: Write> Writer<W> {
    /// Starts an archive. `first_ino` separates the inode numbers of archives
    /// that end up concatenated in the same initrd.
    pub(crate) fn new(out: W, first_ino: u32) -> Self {
        Self {
            out,
            written: 0,
            next_ino: first_ino,
            dirs: HashSet::new(),
        }
    }

    /// Adds a directory (and its parents) with mode 0755.
    pub(crate) fn dir(&mut self, path: &str) -> io::Result<()> {
        let path = path.trim_matches('/');
        if path.is_empty() || self.dirs.contains(path) {
            return Ok(());
        }
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent)?;
        }
        self.dirs.insert(path.to_owned());
        self.entry(path, S_IFDIR | 0o755, 2, &[])
    }

    /// Adds a regular file with the given permission bits.
    pub(crate) fn file(&mut self, path: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        let path = self.parent_of(path)?;
        self.entry(&path, S_IFREG | (perm & 0o7777), 1, data)
    }

    /// Adds a symbolic link at `path` pointing to `target`.
    pub(crate) fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let path = self.parent_of(path)?;
        self.entry(&path, S_IFLNK | 0o777, 1, target.as_bytes())
    }

    /// Writes the trailer and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.entry("TRAILER!!!", 0, 1, &[])?;
        Ok(self.out)
    }

    /// Normalizes `path` and makes sure its parent directory exists.
    fn parent_of(&mut self, path: &str) -> io::Result<String> {
        let path = path.trim_start_matches('/').to_owned();
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent)?;
        }
        Ok(path)
    }

    fn entry(&mut self, name: &str, mode: u32, nlink: u32, data: &[u8]) -> io::Result<()> {
        let ino = self.next_ino;
        self.next_ino += 1;
        let size = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file over 4 GiB"))?;
        // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
        // devminor, rdevmajor, rdevminor, namesize (with NUL), check.
        let header = format!(
            "070701{ino:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}{size:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        self.put(header.as_bytes())?;
        self.put(name.as_bytes())?;
        self.put(&[0])?;
        self.pad()?;
        self.put(data)?;
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Pads the stream to a multiple of four bytes, as newc requires after
    /// every name and every file body.
    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - self.written % 4) % 4;
        self.put(&[0; 3][..n as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_aligned_and_ends_with_trailer() {
        let mut w = Writer::new(Vec::new(), 1);
        w.file("/bin/x", 0o755, b"hello").unwrap();
        w.symlink("bin/sh", "x").unwrap();
        let out = w.finish().unwrap();
        assert_eq!(out.len() % 4, 0);
        let text = String::from_utf8_lossy(&out);
        // "bin" directory is emitted before the file that needs it.
        assert!(text.find("bin\0").unwrap() < text.find("bin/x\0").unwrap());
        assert!(text.contains("TRAILER!!!"));
    }
}
