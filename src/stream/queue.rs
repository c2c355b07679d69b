//! [`Queue`]: the receive queue, bounded in messages and bytes, with an [`Overflow`] policy.

use std::collections::VecDeque;

use super::options::{Overflow, QueueLimit};

/// One place in the queue: a message, or the number of messages dropped at that point of the stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Slot<T> {
    Item { item: T, bytes: u64 },
    Dropped(u64),
}

/// What became of a pushed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// It is queued (with [`Overflow::DropOldest`], perhaps after dropping older messages).
    Queued,
    /// It was dropped and counted; with [`Overflow::Close`] the caller must close the socket.
    Dropped,
}

/// Messages in arrival order, never more than the limit allows (see [`QueueLimit::admits`]).
#[derive(Debug)]
pub(crate) struct Queue<T> {
    slots: VecDeque<Slot<T>>,
    items: usize,
    bytes: u64,
    limit: QueueLimit,
    policy: Overflow,
}

impl<T> Queue<T> {
    pub(crate) fn new(limit: QueueLimit, policy: Overflow) -> Self {
        Self {
            slots: VecDeque::new(),
            items: 0,
            bytes: 0,
            limit,
            policy,
        }
    }

    pub(crate) fn push(&mut self, item: T, bytes: u64) -> Pushed {
        if !self.fits(bytes) {
            match self.policy {
                Overflow::DropNewest | Overflow::Close => {
                    self.count_dropped_at_end();
                    return Pushed::Dropped;
                }
                Overflow::DropOldest => self.drop_oldest_until_fits(bytes),
            }
        }
        self.items += 1;
        self.bytes += bytes;
        self.slots.push_back(Slot::Item { item, bytes });
        Pushed::Queued
    }

    /// The next slot, to be looked at (or worked on) in place.
    pub(crate) fn front_mut(&mut self) -> Option<&mut Slot<T>> {
        self.slots.front_mut()
    }

    pub(crate) fn pop(&mut self) -> Option<Slot<T>> {
        let slot = self.slots.pop_front()?;
        if let Slot::Item { bytes, .. } = slot {
            self.items -= 1;
            self.bytes -= bytes;
        }
        Some(slot)
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.items = 0;
        self.bytes = 0;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.items
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    fn fits(&self, bytes: u64) -> bool {
        self.limit.admits(self.items, self.bytes, bytes)
    }

    fn drop_oldest_until_fits(&mut self, bytes: u64) {
        let mut dropped = 0;
        while !self.fits(bytes) {
            match self.pop() {
                Some(Slot::Item { .. }) => dropped += 1,
                Some(Slot::Dropped(earlier)) => dropped += earlier,
                None => break,
            }
        }
        if let Some(Slot::Dropped(earlier)) = self.slots.front() {
            dropped += earlier;
            self.slots.pop_front();
        }
        self.slots.push_front(Slot::Dropped(dropped));
    }

    /// Adds one to the gap marker at the end, or starts one there.
    fn count_dropped_at_end(&mut self) {
        match self.slots.back_mut() {
            Some(Slot::Dropped(count)) => *count += 1,
            _ => self.slots.push_back(Slot::Dropped(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(messages: usize, bytes: u64, policy: Overflow) -> Queue<u32> {
        Queue::new(QueueLimit { messages, bytes }, policy)
    }

    fn drain(queue: &mut Queue<u32>) -> Vec<Slot<u32>> {
        std::iter::from_fn(|| queue.pop()).collect()
    }

    fn item(item: u32, bytes: u64) -> Slot<u32> {
        Slot::Item { item, bytes }
    }

    #[test]
    fn keeps_order_within_the_limit() {
        let mut q = queue(3, 100, Overflow::Close);
        for i in 0..3 {
            assert_eq!(q.push(i, 10), Pushed::Queued);
        }
        assert_eq!((q.len(), q.bytes()), (3, 30));
        assert_eq!(drain(&mut q), [item(0, 10), item(1, 10), item(2, 10)]);
        assert_eq!((q.len(), q.bytes(), q.is_empty()), (0, 0, true));
    }

    #[test]
    fn drop_newest_keeps_the_first_and_counts_the_rest_at_the_end() {
        let mut q = queue(2, 100, Overflow::DropNewest);
        let pushed: Vec<_> = (0..5).map(|i| q.push(i, 1)).collect();
        assert_eq!(pushed[..2], [Pushed::Queued; 2]);
        assert_eq!(pushed[2..], [Pushed::Dropped; 3]);
        assert_eq!(drain(&mut q), [item(0, 1), item(1, 1), Slot::Dropped(3)]);
    }

    #[test]
    fn close_drops_like_drop_newest() {
        let mut q = queue(1, 100, Overflow::Close);
        assert_eq!(q.push(0, 1), Pushed::Queued);
        assert_eq!(q.push(1, 1), Pushed::Dropped);
        assert_eq!(q.push(2, 1), Pushed::Dropped);
        assert_eq!(drain(&mut q), [item(0, 1), Slot::Dropped(2)]);
    }

    #[test]
    fn drop_oldest_keeps_the_last_and_counts_the_rest_at_the_front() {
        let mut q = queue(2, 100, Overflow::DropOldest);
        for i in 0..5 {
            assert_eq!(q.push(i, 1), Pushed::Queued);
        }
        assert_eq!(drain(&mut q), [Slot::Dropped(3), item(3, 1), item(4, 1)]);
    }

    #[test]
    fn the_byte_limit_counts_too() {
        let mut q = queue(100, 25, Overflow::DropNewest);
        assert_eq!(q.push(0, 10), Pushed::Queued);
        assert_eq!(q.push(1, 10), Pushed::Queued);
        assert_eq!(q.push(2, 10), Pushed::Dropped);
        assert_eq!(q.push(3, 5), Pushed::Queued);
        assert_eq!(q.bytes(), 25);
    }

    #[test]
    fn an_empty_queue_admits_one_message_of_any_size() {
        let mut q = queue(4, 8, Overflow::DropNewest);
        assert_eq!(q.push(0, 1_000), Pushed::Queued);
        assert_eq!(q.push(1, 1), Pushed::Dropped);
        let mut q = queue(4, 8, Overflow::DropOldest);
        assert_eq!(q.push(0, 4), Pushed::Queued);
        assert_eq!(q.push(1, 1_000), Pushed::Queued);
        assert_eq!(drain(&mut q), [Slot::Dropped(1), item(1, 1_000)]);
    }

    #[test]
    fn gaps_are_reported_where_they_happened() {
        let mut q = queue(1, 100, Overflow::DropNewest);
        q.push(0, 1);
        q.push(1, 1);
        assert_eq!(q.pop(), Some(item(0, 1)));
        q.push(2, 1);
        q.push(3, 1);
        assert_eq!(
            drain(&mut q),
            [Slot::Dropped(1), item(2, 1), Slot::Dropped(1)]
        );
    }

    #[test]
    fn clear_empties_the_queue() {
        let mut q = queue(2, 100, Overflow::DropOldest);
        for i in 0..4 {
            q.push(i, 3);
        }
        q.clear();
        assert_eq!((q.len(), q.bytes(), q.is_empty()), (0, 0, true));
    }
}
