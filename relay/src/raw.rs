//! Hand-written handshakes and frames for the endpoints that break the protocol on purpose,
//! which tungstenite (rightly) refuses to produce.

use std::collections::HashMap;
use std::future::Future;

use axum::body::Body;
use axum::extract::ws::close_code;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::io::{self, AsyncRead, AsyncReadExt, AsyncWriteExt};
use tungstenite::handshake::derive_accept_key;

use crate::AppState;
use crate::handshake::has_token;
use crate::logging::{self, Conn};
use crate::query::{BadRequest, Params};

/// The byte stream of an upgraded connection.
type Io = TokioIo<Upgraded>;

const OPCODE_TEXT: u8 = 0x1;
const OPCODE_CLOSE: u8 = 0x8;
const FIN: u8 = 0x80;

/// The protocols a client offered, in its order, across every `Sec-WebSocket-Protocol` line.
pub(crate) fn offered_protocols(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|protocol| !protocol.is_empty())
}

/// A checked upgrade request, ready to be answered with a hand-made `101`.
struct Handshake {
    key: HeaderValue,
    headers: HeaderMap,
    on_upgrade: OnUpgrade,
}

impl Handshake {
    /// The rest of the handshake (`Connection`, the key's shape, the version) was checked
    /// before any endpoint, by `handshake::check`, for every request asking for `websocket`.
    ///
    /// # Errors
    ///
    /// Why the request is not a WebSocket upgrade, for a 400.
    fn from_request(mut request: Request) -> Result<Self, &'static str> {
        let headers = request.headers();
        if !has_token(headers, &header::UPGRADE, "websocket") {
            return Err("expected a WebSocket upgrade request");
        }
        let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
            return Err("expected a Sec-WebSocket-Key header");
        };
        let headers = headers.clone();
        let Some(on_upgrade) = request.extensions_mut().remove::<OnUpgrade>() else {
            return Err("this connection cannot be upgraded");
        };
        Ok(Self {
            key,
            headers,
            on_upgrade,
        })
    }

    fn correct_accept(&self) -> String {
        derive_accept_key(self.key.as_bytes())
    }

    /// Answers `101` with `accept` (and `protocol`), then runs `work` on the upgraded stream as
    /// the tracked connection `conn`.
    fn switch<F, Fut>(
        self,
        state: AppState,
        conn: Conn,
        accept: &str,
        protocol: Option<&str>,
        work: F,
    ) -> Response
    where
        F: FnOnce(Io) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        let Ok(accept) = HeaderValue::from_str(accept) else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        if let Some(protocol) = protocol {
            let Ok(protocol) = HeaderValue::from_str(protocol) else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    state
                        .tracker()
                        .run(conn, work(TokioIo::new(upgraded)))
                        .await
                }
                Err(error) => {
                    tracing::info!(parent: conn.span(), %error, "the upgrade did not complete");
                }
            }
        });
        response
    }
}

fn bad_request(message: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

/// `kind=accept`: a wrong `Sec-WebSocket-Accept`; `kind=protocol`: a correct one, with a
/// `Sec-WebSocket-Protocol` the client did not offer.
pub(crate) async fn bad_handshake(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    conn: Conn,
    request: Request,
) -> Result<Response, BadRequest> {
    let kind = Params(&query).kind("kind", &["accept", "protocol"])?;
    let handshake = match Handshake::from_request(request) {
        Ok(handshake) => handshake,
        Err(message) => return Ok(bad_request(message)),
    };
    let response = if kind == "accept" {
        let mut wrong_key = handshake.key.as_bytes().to_vec();
        wrong_key.extend_from_slice(b"-not-the-key");
        let wrong = derive_accept_key(&wrong_key);
        handshake.switch(state, conn, &wrong, None, discard)
    } else {
        let mut unoffered = String::from("not-offered");
        while offered_protocols(&handshake.headers).any(|offered| offered == unoffered) {
            unoffered.push('-');
        }
        let accept = handshake.correct_accept();
        handshake.switch(state, conn, &accept, Some(&unoffered), discard)
    };
    Ok(response)
}

/// A valid text frame `"valid"`, then `kind=opcode`: a frame with the reserved opcode 0x3, or
/// `kind=utf8`: a text frame whose payload is not UTF-8. With `wait=1` the invalid frame follows the
/// client's first frame instead of the valid one at once, so the two cannot arrive in one read.
pub(crate) async fn invalid_frame(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    conn: Conn,
    request: Request,
) -> Result<Response, BadRequest> {
    let params = Params(&query);
    let kind = params.kind("kind", &["opcode", "utf8"])?;
    let wait = params.flag("wait", false)?;
    let handshake = match Handshake::from_request(request) {
        Ok(handshake) => handshake,
        Err(message) => return Ok(bad_request(message)),
    };
    let valid = frame(OPCODE_TEXT, b"valid");
    let invalid = if kind == "opcode" {
        frame(0x3, b"")
    } else {
        frame(OPCODE_TEXT, &[0xFF, 0xFE])
    };
    let accept = handshake.correct_accept();
    Ok(
        handshake.switch(state, conn, &accept, None, move |mut io| async move {
            let sent = if wait {
                send(&mut io, &valid).await
                    && matches!(skip_frame(&mut io).await, Ok(Some(opcode)) if opcode != OPCODE_CLOSE)
                    && send(&mut io, &invalid).await
            } else {
                send(&mut io, &[valid, invalid].concat()).await
            };
            if sent {
                read_until_close(&mut io).await;
            }
        }),
    )
}

async fn send(io: &mut Io, bytes: &[u8]) -> bool {
    let sent = async {
        io.write_all(bytes).await?;
        io.flush().await
    };
    match sent.await {
        Ok(()) => true,
        Err(error) => {
            logging::failed(&error);
            false
        }
    }
}

/// Close(1000, "done") immediately followed by a text frame `"late"`.
pub(crate) async fn after_close(
    State(state): State<AppState>,
    conn: Conn,
    request: Request,
) -> Response {
    let handshake = match Handshake::from_request(request) {
        Ok(handshake) => handshake,
        Err(message) => return bad_request(message),
    };
    let (code, reason) = (close_code::NORMAL, "done");
    let mut frames = frame(OPCODE_CLOSE, &close_payload(code, reason));
    frames.extend(frame(OPCODE_TEXT, b"late"));
    let accept = handshake.correct_accept();
    handshake.switch(state, conn, &accept, None, move |mut io| async move {
        logging::sent_close(code, reason);
        if send(&mut io, &frames).await {
            read_until_close(&mut io).await;
        }
    })
}

/// A valid handshake, then silence: reads and discards until EOF (or `/test/drop-all`).
pub(crate) async fn blackhole(
    State(state): State<AppState>,
    conn: Conn,
    request: Request,
) -> Response {
    let handshake = match Handshake::from_request(request) {
        Ok(handshake) => handshake,
        Err(message) => return bad_request(message),
    };
    let accept = handshake.correct_accept();
    handshake.switch(state, conn, &accept, None, discard)
}

async fn discard(mut io: Io) {
    if let Err(error) = io::copy(&mut io, &mut io::sink()).await {
        logging::failed(&error);
    }
}

/// An unmasked, unfragmented server frame; `payload` is at most 125 bytes here.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let length = u8::try_from(payload.len()).unwrap_or(u8::MAX).min(125);
    let mut frame = Vec::with_capacity(2 + usize::from(length));
    frame.push(FIN | opcode);
    frame.push(length);
    frame.extend_from_slice(&payload[..usize::from(length)]);
    frame
}

fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    payload
}

/// Reads the client's frames, discarding them, until a Close frame or EOF.
async fn read_until_close<S: AsyncRead + Unpin>(stream: &mut S) {
    loop {
        match skip_frame(stream).await {
            Ok(Some(OPCODE_CLOSE) | None) => return,
            Ok(Some(_)) => {}
            Err(error) => return logging::failed(&error),
        }
    }
}

/// Reads and discards one client frame; its opcode, or `None` at EOF.
async fn skip_frame<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<Option<u8>> {
    let mut head = [0; 2];
    match stream.read_exact(&mut head).await {
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let opcode = head[0] & 0x0F;
    let length = match head[1] & 0x7F {
        126 => u64::from(stream.read_u16().await?),
        127 => stream.read_u64().await?,
        length => u64::from(length),
    };
    let mask = if head[1] & 0x80 != 0 { 4 } else { 0 };
    let skip = length.saturating_add(mask);
    let skipped = io::copy(&mut (&mut *stream).take(skip), &mut io::sink()).await?;
    Ok((skipped == skip).then_some(opcode))
}
