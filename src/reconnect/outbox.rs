//! [`Outbox`]: messages sent while not open, bounded, in order.

use std::collections::VecDeque;

use super::options::OutboxOverflow;
use crate::{Error, Message, QueueLimit};

#[derive(Debug)]
pub(crate) struct Outbox {
    messages: VecDeque<Message>,
    bytes: u64,
    limit: QueueLimit,
    overflow: OutboxOverflow,
}

impl Outbox {
    pub(crate) fn new(limit: QueueLimit, overflow: OutboxOverflow) -> Self {
        Self {
            messages: VecDeque::new(),
            bytes: 0,
            limit,
            overflow,
        }
    }

    /// Queues `message`, returning how many older messages were dropped for it.
    ///
    /// # Errors
    /// [`Error::OutboxFull`] with [`OutboxOverflow::Reject`] when it does not fit.
    pub(crate) fn push(&mut self, message: &Message) -> Result<usize, Error> {
        let size = message.byte_len();
        let mut dropped = 0;
        while !self.limit.admits(self.messages.len(), self.bytes, size) {
            match self.overflow {
                OutboxOverflow::Reject => {
                    return Err(Error::OutboxFull {
                        messages: self.messages.len(),
                        bytes: self.bytes,
                    });
                }
                OutboxOverflow::DropOldest => {
                    self.pop();
                    dropped += 1;
                }
            }
        }
        self.bytes += size;
        self.messages.push_back(message.clone());
        Ok(dropped)
    }

    pub(crate) fn front(&self) -> Option<&Message> {
        self.messages.front()
    }

    pub(crate) fn pop(&mut self) -> Option<Message> {
        let message = self.messages.pop_front()?;
        self.bytes -= message.byte_len();
        Some(message)
    }

    pub(crate) fn take_all(&mut self) -> Vec<Message> {
        self.bytes = 0;
        self.messages.drain(..).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(messages: usize, bytes: u64, overflow: OutboxOverflow) -> Outbox {
        Outbox::new(QueueLimit { messages, bytes }, overflow)
    }

    fn text(i: usize) -> Message {
        Message::Text(format!("m{i}"))
    }

    #[test]
    fn keeps_order_and_counts_bytes() {
        let mut out = outbox(10, 100, OutboxOverflow::Reject);
        for i in 0..3 {
            assert_eq!(out.push(&text(i)), Ok(0));
        }
        assert_eq!((out.len(), out.bytes), (3, 6));
        assert_eq!(out.front(), Some(&text(0)));
        assert_eq!(out.take_all(), [text(0), text(1), text(2)]);
        assert!(out.is_empty());
        assert_eq!(out.bytes, 0);
    }

    #[test]
    fn reject_refuses_and_keeps_what_is_queued() {
        let mut out = outbox(2, 100, OutboxOverflow::Reject);
        out.push(&text(0)).expect("fits");
        out.push(&text(1)).expect("fits");
        assert_eq!(
            out.push(&text(2)),
            Err(Error::OutboxFull {
                messages: 2,
                bytes: 4
            })
        );
        assert_eq!(out.take_all(), [text(0), text(1)]);
    }

    #[test]
    fn drop_oldest_makes_room_and_says_how_much() {
        let mut out = outbox(2, 100, OutboxOverflow::DropOldest);
        out.push(&text(0)).expect("fits");
        out.push(&text(1)).expect("fits");
        assert_eq!(out.push(&text(2)), Ok(1));
        assert_eq!(out.take_all(), [text(1), text(2)]);
        let mut out = outbox(10, 10, OutboxOverflow::DropOldest);
        for i in 0..5 {
            out.push(&text(i)).expect("fits");
        }
        assert_eq!(out.push(&Message::Text("x".repeat(8))), Ok(4));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn the_byte_bound_applies() {
        let mut out = outbox(100, 5, OutboxOverflow::Reject);
        out.push(&Message::from(vec![0; 4])).expect("fits");
        assert!(out.push(&Message::from(vec![0; 2])).is_err());
        assert_eq!(out.pop(), Some(Message::from(vec![0; 4])));
        assert_eq!(
            out.push(&Message::from(vec![0; 50])),
            Ok(0),
            "an empty outbox takes any one message"
        );
    }
}
