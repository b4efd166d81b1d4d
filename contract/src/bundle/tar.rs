//! The little of POSIX ustar a bundle needs: regular files with short
//! names, written and read in one pass. Written by hand rather than with a
//! tar crate so the reader can be strict (one entry type, checked header
//! checksums, sizes bounded by the manifest) and the format stays a
//! contract that fits on one screen. `tar -tvf bundle.tar` lists a bundle.

use std::io::{self, Read, Write};

pub const BLOCK: usize = 512;

/// One entry's header: its name and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub size: u64,
}

fn octal(field: &mut [u8], value: u64) {
    let text = format!("{value:0width$o}\0", width = field.len() - 1);
    field.copy_from_slice(text.as_bytes());
}

/// The 512-byte ustar header of a regular file, mode 0644, mtime 0.
pub fn header(name: &str, size: u64) -> [u8; BLOCK] {
    assert!(
        name.len() < 100 && name.is_ascii(),
        "bundle entry names are short"
    );
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    h
}

/// Zero bytes that pad `size` bytes of data to a whole block.
pub fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

/// Writes the two zero blocks that end an archive.
pub fn write_end(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(&[0u8; 2 * BLOCK])
}

/// Why a block is not the header we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// All zeros: the end of the archive.
    End,
    NotUstar,
    BadChecksum,
    NotARegularFile(u8),
    BadField(&'static str),
}

fn parse_octal(field: &[u8], what: &'static str) -> Result<u64, HeaderProblem> {
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| char::from(b))
        .collect();
    u64::from_str_radix(text.trim_start(), 8).map_err(|_| HeaderProblem::BadField(what))
}

/// Parses one header block.
pub fn parse_header(h: &[u8; BLOCK]) -> Result<Header, HeaderProblem> {
    if h.iter().all(|&b| b == 0) {
        return Err(HeaderProblem::End);
    }
    if &h[257..262] != b"ustar" {
        return Err(HeaderProblem::NotUstar);
    }
    let stored = parse_octal(&h[148..156], "checksum")?;
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    if stored != sum {
        return Err(HeaderProblem::BadChecksum);
    }
    if h[156] != b'0' && h[156] != 0 {
        return Err(HeaderProblem::NotARegularFile(h[156]));
    }
    let name_end = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
    let name = std::str::from_utf8(&h[..name_end])
        .map_err(|_| HeaderProblem::BadField("name"))?
        .to_string();
    let size = parse_octal(&h[124..136], "size")?;
    Ok(Header { name, size })
}

/// Reads exactly one block, or says how many bytes came before the end.
pub fn read_block(input: &mut dyn Read) -> io::Result<Result<[u8; BLOCK], usize>> {
    let mut block = [0u8; BLOCK];
    let mut got = 0;
    while got < BLOCK {
        match input.read(&mut block[got..]) {
            Ok(0) => return Ok(Err(got)),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Ok(block))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let h = header("root.squashfs", 123_456_789);
        assert_eq!(
            parse_header(&h),
            Ok(Header {
                name: "root.squashfs".into(),
                size: 123_456_789
            })
        );
        let mut bad = h;
        bad[0] ^= 1;
        assert_eq!(parse_header(&bad), Err(HeaderProblem::BadChecksum));
        assert_eq!(parse_header(&[0; BLOCK]), Err(HeaderProblem::End));
        assert_eq!(padding(512), 0);
        assert_eq!(padding(1), 511);
    }
}
