//! The word lists the demo data is made of: places, organization names, people, titles
//! and sentences. Data only; `generate.rs` combines them.

mod names;
mod texts;

pub use names::*;
pub use texts::*;
