//! One module per `cargo xtask` command. Each `run` returns whether the command succeeded.

pub mod bench;
pub mod demo;
pub mod dist;
pub mod fanout;
pub mod memory;
pub mod setup;
pub mod size;
pub mod test;
pub mod throughput;
