//! [`write_test_image`]: a small PNG for the image tests, made here so the tests need no binary file.

use std::path::{Path, PathBuf};

use crate::Error;

/// Writes a `size`×`size` PNG of colour bands to `<dir>/<name>.png` and returns its path.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
pub fn write_test_image(dir: &Path, name: &str, size: u32) -> Result<PathBuf, Error> {
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png(size)).map_err(Error::io(format!("write {}", path.display())))?;
    Ok(path)
}

/// An RGB PNG whose pixel data is stored uncompressed (a valid zlib stream of stored blocks).
fn png(size: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..size {
        raw.push(0); // filter: none
        for x in 0..size {
            let band = (x * 6 / size.max(1)) as usize;
            let [r, g, b] = [
                [229, 57, 53],
                [251, 140, 0],
                [253, 216, 53],
                [67, 160, 71],
                [30, 136, 229],
                [142, 36, 170],
            ][band.min(5)];
            let shade = (255 - y * 96 / size.max(1)) as u16;
            raw.extend([r, g, b].map(|c: u16| (c * shade / 255) as u8));
        }
    }
    let mut header = Vec::new();
    header.extend(size.to_be_bytes());
    header.extend(size.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend((data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend(kind);
    png.extend(data);
    let crc = crc32(&png[start..]);
    png.extend(crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend(*block);
    }
    let (mut a, mut b) = (1_u32, 0_u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend(((b << 16) | a).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0_u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn the_png_has_its_signature_header_and_end() {
        let png = png(24);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"));
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    }
}
