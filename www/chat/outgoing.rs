//! Sending: text and images become pending messages, shown at once and sent once the room is joined.

use duplex_chat_protocol::{ClientMessage, IMAGE_MIMES, MAX_IMAGE_BYTES, MAX_TEXT_BYTES};
use duplex_ws::{Message, SendStatus};
use wasm_bindgen::JsCast;
use web_sys::{Blob, ClipboardEvent, Event};

use crate::ledger::Pending;
use crate::view::Body;
use crate::{App, Chat};

impl App {
    pub(crate) fn send_text(&self) {
        let text = self.view.input.value();
        if text.trim().is_empty() {
            return;
        }
        // The input's maxlength counts UTF-16 units; the relay counts bytes of UTF-8.
        if text.len() > MAX_TEXT_BYTES {
            return self.view.notice(&format!(
                "Messages can be at most {MAX_TEXT_BYTES} bytes of UTF-8; this one has {}.",
                text.len()
            ));
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
        if !IMAGE_MIMES.contains(&mime.as_str()) {
            return self.view.notice(&format!(
                "Images must be one of {}.",
                IMAGE_MIMES.join(", ")
            ));
        }
        if blob.size() > MAX_IMAGE_BYTES as f64 {
            return self.view.notice(&format!(
                "Images can be at most {} MiB.",
                MAX_IMAGE_BYTES >> 20
            ));
        }
        self.queue(|id| Pending::Image { id, mime, blob });
    }

    /// Shows a message of ours at once, keeps it until acknowledged, and sends it if joined (and not
    /// pausing after a `rate-limited`).
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
        self.view.pending(pending.id(), &chat.nick.borrow(), body);
        chat.ledger.borrow_mut().add(pending);
        self.send_outgoing(chat, false);
        self.tick();
    }

    pub(crate) fn send_pending(&self, chat: &Chat, pending: &Pending) {
        match pending {
            Pending::Say { id, text } => {
                let say = ClientMessage::Say {
                    id: id.clone(),
                    text: text.clone(),
                };
                self.transmit(chat, &[say], None);
            }
            Pending::Image { id, mime, blob } => {
                let announce = ClientMessage::Image {
                    id: id.clone(),
                    mime: mime.clone(),
                    size: blob.size() as u64,
                };
                self.transmit(chat, &[announce], Some(blob));
            }
        }
    }

    /// Sends frames on the open socket. Chat frames must follow the join on the same connection, so none
    /// may wait in the socket's own outbox (it is flushed before the join); the ledger re-sends them.
    pub(crate) fn transmit(&self, chat: &Chat, frames: &[ClientMessage], blob: Option<&Blob>) {
        let mut messages: Vec<Message> = frames
            .iter()
            .map(|frame| Message::Text(frame.to_json()))
            .collect();
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
