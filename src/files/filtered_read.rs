//! A reader that shows what it reads to a [`Filter`] first, which decides
//! what the reader above it sees: how codemode looks at the JSON-RPC lines of
//! a stdio peer before rmcp reads them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// Decides what passes.
pub trait Filter {
    /// Takes fresh bytes from the input; appends to `out` what is to be read.
    fn scan(&mut self, bytes: &[u8], out: &mut Vec<u8>);

    /// The input has ended, or failed.
    fn ended(&mut self) {}
}

/// `inner`, as `filter` lets it through.
pub struct Filtered<R, F> {
    inner: R,
    pub filter: F,
    /// Bytes ready for the reader, from `taken` on.
    out: Vec<u8>,
    taken: usize,
}

impl<R, F> Filtered<R, F> {
    pub fn new(inner: R, filter: F) -> Self {
        Filtered {
            inner,
            filter,
            out: Vec::new(),
            taken: 0,
        }
    }
}

impl<R: AsyncRead + Unpin, F: Filter + Unpin> AsyncRead for Filtered<R, F> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        // Read until the filter lets something through (it may hold bytes
        // back, such as the start of a line).
        while this.taken == this.out.len() {
            this.out.clear();
            this.taken = 0;
            let mut chunk = [0u8; 16 << 10];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    this.filter.ended();
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => this.filter.scan(read.filled(), &mut this.out),
                Poll::Ready(Err(error)) => {
                    this.filter.ended();
                    return Poll::Ready(Err(error));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        let ready = &this.out[this.taken..];
        let n = ready.len().min(buf.remaining());
        buf.put_slice(&ready[..n]);
        this.taken += n;
        Poll::Ready(Ok(()))
    }
}
