//! Test support shared by the crate's unit tests, property tests, fuzz
//! targets and benches (feature `test-support`; not part of the API).

pub mod fake_kernel;
#[cfg(feature = "test-support")]
pub mod values;

#[cfg(feature = "test-support")]
pub use arbitrary;
