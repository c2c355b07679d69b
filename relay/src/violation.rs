//! The Close a connection gets when its client breaks RFC 6455: sent before the connection is
//! dropped, so the client learns why.

use std::error::Error as _;

use axum::extract::ws::{CloseFrame, Utf8Bytes, close_code};
use tungstenite::error::ProtocolError;

/// The Close for a read that failed because the client broke the protocol: 1002 for a
/// malformed frame (reserved bits, an unmasked frame, a bad opcode or fragmentation), 1007 for
/// a text message that is not UTF-8, 1009 for a message over the endpoint's limit. `None` when
/// the connection itself failed (reset, closed): there is nobody to tell.
pub(crate) fn close_for(error: &axum::Error) -> Option<CloseFrame> {
    let error = error.source()?.downcast_ref::<tungstenite::Error>()?;
    let (code, reason) = match error {
        tungstenite::Error::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => return None,
        tungstenite::Error::Protocol(_) => (close_code::PROTOCOL, "protocol error"),
        tungstenite::Error::Utf8(_) => (close_code::INVALID, "text is not UTF-8"),
        tungstenite::Error::Capacity(_) => (close_code::SIZE, "message too big"),
        _ => return None,
    };
    Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    })
}
