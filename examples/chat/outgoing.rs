//! Sending: text and images become pending messages, shown at once and sent once the room is joined.

use wasm_bindgen::JsCast;
use web_sys::{Blob, ClipboardEvent, Event};

use crate::ledger::Pending;
use crate::protocol::Outgoing;
use crate::view::Body;
use crate::{App, Chat};
use duplex_ws::{Message, SendStatus};

/// The largest image the relay accepts.
const MAX_IMAGE_BYTES: f64 = 2_097_152.0;
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

impl App {
    pub(crate) fn send_text(&self) {
        let text = self.view.input.value();
        if text.trim().is_empty() {
            return;
        }
        self.view.input.set_value("");
        self.queue(|id| Pending::Say {
            id,
            text: text.clone(),
        });
    }

    pub(crate) fn send_picked_image(&self) {
        let file = self.view.image_input.files().and_then(|files| files.get(0));
        self.view.image_input.set_value("");
        if let Some(file) = file {
            self.send_image(file.into());
        }
    }

    pub(crate) fn paste(&self, event: Event) {
        let Some(data) = event
            .dyn_ref::<ClipboardEvent>()
            .and_then(ClipboardEvent::clipboard_data)
        else {
            return;
        };
        let Some(file) = data.files().and_then(|files| files.get(0)) else {
            return;
        };
        event.prevent_default();
        self.send_image(file.into());
    }

    fn send_image(&self, blob: Blob) {
        let mime = blob.type_();
        if !IMAGE_TYPES.contains(&mime.as_str()) {
            return self.view.notice("Images must be PNG, JPEG, GIF or WebP.");
        }
        if blob.size() > MAX_IMAGE_BYTES {
            return self.view.notice("Images can be at most 2 MiB.");
        }
        self.queue(|id| Pending::Image { id, mime, blob });
    }

    /// Shows a message of ours at once, keeps it until acknowledged, and sends it if joined.
    fn queue(&self, make: impl FnOnce(String) -> Pending) {
        let chat = self.chat.borrow();
        let Some(chat) = chat.as_ref() else {
            return self.view.notice("Join a room first.");
        };
        let id = format!("{}-{}", self.session, self.next_id.get());
        self.next_id.set(self.next_id.get() + 1);
        let pending = make(id);
        let body = match &pending {
            Pending::Say { text, .. } => Body::Text(text),
            Pending::Image { blob, .. } => Body::Image(blob),
        };
        self.view.pending(pending.id(), &chat.nick, body);
        chat.ledger.borrow_mut().add(pending.clone());
        if chat.joined.get() {
            self.send_pending(chat, &pending);
        }
        self.tick();
    }

    pub(crate) fn send_pending(&self, chat: &Chat, pending: &Pending) {
        match pending {
            Pending::Say { id, text } => self.transmit(chat, &[Outgoing::Say { id, text }], None),
            Pending::Image { id, mime, blob } => {
                let announce = Outgoing::Image {
                    id,
                    mime,
                    size: blob.size() as u64,
                };
                self.transmit(chat, &[announce], Some(blob));
            }
        }
    }

    /// Sends frames on the open socket. Chat frames must follow the join on the same connection, so none
    /// may wait in the socket's own outbox (it is flushed before the join); the ledger re-sends them.
    pub(crate) fn transmit(&self, chat: &Chat, frames: &[Outgoing<'_>], blob: Option<&Blob>) {
        let messages = frames
            .iter()
            .map(Message::json)
            .collect::<Result<Vec<_>, _>>();
        let mut messages = match messages {
            Ok(messages) => messages,
            Err(error) => return self.view.notice(&error.to_string()),
        };
        messages.extend(blob.cloned().map(Message::Blob));
        for message in &messages {
            match chat.socket.send(message) {
                Ok(SendStatus::Sent) => {}
                Ok(SendStatus::Queued { .. }) => {
                    drop(chat.socket.take_unsent());
                    return;
                }
                Err(error) => return self.view.notice(&error.to_string()),
            }
        }
    }
}
