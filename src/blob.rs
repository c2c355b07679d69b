//! [`blob_to_bytes`]: reading a `Blob` into wasm memory.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use crate::Error;
use crate::error::Op;

/// Reads a `Blob` (a binary message received with [`BinaryType::Blob`](crate::BinaryType::Blob)) into bytes.
///
/// The read starts at once and runs in the browser; the returned future owns it and does not borrow `blob`.
/// See [`Blob.arrayBuffer()` on MDN](https://developer.mozilla.org/en-US/docs/Web/API/Blob/arrayBuffer).
///
/// # Errors
/// [`Error::Js`] if the browser cannot read the `Blob` (`NotReadableError`).
///
/// ```no_run
/// # async fn example(message: duplex_ws::Message) -> Result<(), duplex_ws::Error> {
/// if let duplex_ws::Message::Blob(blob) = message {
///     let bytes: Vec<u8> = duplex_ws::blob_to_bytes(&blob).await?;
/// }
/// # Ok(())
/// # }
/// ```
pub fn blob_to_bytes(blob: &Blob) -> ReadBlob {
    ReadBlob {
        reading: JsFuture::from(blob.array_buffer()),
    }
}

/// The future of [`blob_to_bytes`]: the bytes of a `Blob`, once the browser has read them.
///
/// ```no_run
/// # async fn example(blob: web_sys::Blob) -> Result<(), duplex_ws::Error> {
/// let read: duplex_ws::ReadBlob = duplex_ws::blob_to_bytes(&blob);
/// let bytes = read.await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a ReadBlob does nothing useful unless awaited"]
pub struct ReadBlob {
    reading: JsFuture,
}

impl Future for ReadBlob {
    type Output = Result<Vec<u8>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.reading).poll(cx).map(|read| {
            read.map(|buffer| crate::message::bytes_of(buffer.unchecked_ref()))
                .map_err(|thrown| Error::thrown(&thrown, Op::ReadBlob))
        })
    }
}
