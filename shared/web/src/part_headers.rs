//! A bound the multipart parser lacks. multer reads a part's headers until their blank line
//! whatever their length, and searches its whole buffer again at every chunk: a body whose
//! "headers" never end would be held in memory up to the route's limit and scanned again and
//! again (quadratic CPU). This adapter counts each part's header bytes as the body streams
//! past, and breaks the body with [`HeadersTooLong`] beyond [`PART_HEADER_BYTES`]. It keeps
//! no bytes: a few counters, whatever the chunks' sizes and where they split.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt as _};

/// The most a part's headers may weigh (a name of 255 characters, percent-encoded, fits many
/// times over).
pub const PART_HEADER_BYTES: usize = 16 * 1024;

/// A part's headers went past [`PART_HEADER_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadersTooLong;

impl std::fmt::Display for HeadersTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a multipart part's headers exceed {PART_HEADER_BYTES} bytes"
        )
    }
}

impl std::error::Error for HeadersTooLong {}

/// The blank line that ends a part's headers.
const BLANK: &[u8] = b"\r\n\r\n";

/// A pattern's Knuth–Morris–Pratt failure table: where a partial match resumes.
fn failures(pattern: &[u8]) -> Vec<usize> {
    let mut fail = vec![0; pattern.len()];
    let mut k = 0;
    for i in 1..pattern.len() {
        while k > 0 && pattern[i] != pattern[k] {
            k = fail[k - 1];
        }
        if pattern[i] == pattern[k] {
            k += 1;
        }
        fail[i] = k;
    }
    fail
}

/// One byte more of a match of `pattern` that had reached `matched`.
fn step(pattern: &[u8], fail: &[usize], mut matched: usize, byte: u8) -> usize {
    while matched > 0 && pattern[matched] != byte {
        matched = fail[matched - 1];
    }
    if pattern[matched] == byte {
        matched + 1
    } else {
        0
    }
}

/// Where the body is: in a part's data, looking for the next delimiter, or in a part's
/// headers, counting them until their blank line.
#[derive(Debug)]
pub struct Scanner {
    /// `\r\n--<boundary>`.
    delimiter: Vec<u8>,
    delimiter_fail: Vec<usize>,
    blank_fail: Vec<usize>,
    limit: usize,
    /// Progress into the delimiter (in data) or into the blank line (in headers).
    matched: usize,
    /// `Some(bytes)` while in a part's headers.
    headers: Option<usize>,
}

impl Scanner {
    pub fn new(boundary: &str, limit: usize) -> Self {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        Self {
            delimiter_fail: failures(&delimiter),
            delimiter,
            blank_fail: failures(BLANK),
            limit,
            // The body opens with `--<boundary>`: as if the `\r\n` before it had been read.
            matched: 2,
            headers: None,
        }
    }

    /// Reads `chunk`; refuses once a part's headers are longer than the limit.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), HeadersTooLong> {
        let mut i = 0;
        while i < chunk.len() {
            match self.headers {
                None => {
                    if self.matched == 0 {
                        // Most of a file: straight to the next `\r`, where a delimiter may start.
                        match chunk[i..].iter().position(|&b| b == b'\r') {
                            Some(at) => i += at,
                            None => return Ok(()),
                        }
                    }
                    self.matched = step(
                        &self.delimiter,
                        &self.delimiter_fail,
                        self.matched,
                        chunk[i],
                    );
                    if self.matched == self.delimiter.len() {
                        self.headers = Some(0);
                        self.matched = 0;
                    }
                }
                Some(bytes) => {
                    let bytes = bytes + 1;
                    if bytes > self.limit {
                        return Err(HeadersTooLong);
                    }
                    self.matched = step(BLANK, &self.blank_fail, self.matched, chunk[i]);
                    if self.matched == BLANK.len() {
                        self.headers = None;
                        self.matched = 0;
                    } else {
                        self.headers = Some(bytes);
                    }
                }
            }
            i += 1;
        }
        Ok(())
    }
}

/// The body, broken with [`HeadersTooLong`] where a part's headers go past the limit.
pub fn bounded<E>(
    body: impl Stream<Item = Result<Bytes, E>> + Send + 'static,
    boundary: &str,
) -> impl Stream<Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut scanner = Scanner::new(boundary, PART_HEADER_BYTES);
    let mut broken = false;
    body.map(move |item| {
        if broken {
            return Err(Box::new(HeadersTooLong) as Box<dyn std::error::Error + Send + Sync>);
        }
        let chunk = item.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
        if let Err(e) = scanner.feed(&chunk) {
            broken = true;
            return Err(Box::new(e));
        }
        Ok(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(header: &str) -> Vec<u8> {
        format!(
            "--B0\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\netat\r\n\
             --B0\r\n{header}\r\n\r\n%PDF-1.4 \r\n-- \r\n--B \r\r\n\r\n\r\n--B0--\r\n"
        )
        .into_bytes()
    }

    fn feed_in(bytes: &[u8], size: usize, limit: usize) -> Result<(), HeadersTooLong> {
        let mut scanner = Scanner::new("B0", limit);
        for chunk in bytes.chunks(size) {
            scanner.feed(chunk)?;
        }
        Ok(())
    }

    #[test]
    fn a_body_passes_whatever_its_chunks_and_long_headers_do_not() {
        let ok = body("Content-Disposition: form-data; name=\"fichiers\"; filename=\"a.pdf\"");
        let long = body(&format!(
            "Content-Disposition: form-data; name=\"{}\"",
            "x".repeat(300)
        ));
        for size in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(feed_in(&ok, size, 100), Ok(()), "chunks of {size}");
            assert_eq!(
                feed_in(&long, size, 100),
                Err(HeadersTooLong),
                "chunks of {size}"
            );
            assert_eq!(feed_in(&long, size, 400), Ok(()), "chunks of {size}");
        }
    }

    #[test]
    fn headers_that_never_end_are_refused_at_the_limit() {
        let mut scanner = Scanner::new("B0", 1000);
        assert_eq!(scanner.feed(b"--B0\r\nX: "), Ok(()));
        let endless = vec![b'a'; 999];
        assert_eq!(scanner.feed(&endless), Err(HeadersTooLong));
    }

    #[test]
    fn the_failure_table_resumes_partial_matches() {
        assert_eq!(failures(b"\r\n\r\n"), vec![0, 0, 1, 2]);
        // `\r\n\r\r\n\r\n`: the blank line is found after a false start.
        let mut m = 0;
        let fail = failures(BLANK);
        let mut found = false;
        for &b in b"\r\n\r\r\n\r\n" {
            m = step(BLANK, &fail, m, b);
            found |= m == BLANK.len();
        }
        assert!(found);
    }
}
