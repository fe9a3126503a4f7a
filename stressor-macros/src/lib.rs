//! Procedural macros for stressor. `harness!` lands with the cargo test integration.

use proc_macro::TokenStream;

/// Expands to the `main` of a `harness = false` test target (not implemented yet: expands to nothing).
#[proc_macro]
pub fn harness(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
