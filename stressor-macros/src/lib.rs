//! Procedural macros for stressor: [`harness!`], the entry point of the `cargo test` harness.

use proc_macro::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token};

/// `"pattern"` optionally followed by `, before = path::to::hook` and `, activities = path::to::fn`.
struct HarnessInput {
    pattern: LitStr,
    before: Option<Expr>,
    activities: Option<Expr>,
}

impl Parse for HarnessInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let pattern: LitStr = input.parse()?;
        let mut before = None;
        let mut activities = None;
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            let slot = if key == "before" {
                &mut before
            } else if key == "activities" {
                &mut activities
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    "expected `before = <fn() -> HarnessSetup>` or `activities = <fn() -> Registry>`",
                ));
            };
            input.parse::<Token![=]>()?;
            *slot = Some(input.parse()?);
        }
        Ok(HarnessInput {
            pattern,
            before,
            activities,
        })
    }
}

/// Expands to the `main` of a `harness = false` test target that turns every scenario file matching
/// the glob pattern (relative to the package directory) into test cases:
///
/// ```ignore
/// stressor::harness!("fixtures/**/*.yaml");
/// // or, with a hook that runs once before the first scenario:
/// stressor::harness!("fixtures/**/*.yaml", before = start_target);
/// // with Rust activity plugins (a `fn() -> stressor::activity::plugin::Registry`):
/// stressor::harness!("fixtures/**/*.yaml", activities = my_activities);
/// ```
///
/// The pattern is also expanded at compile time and every matched file is included with
/// `include_bytes!`, so that editing one rebuilds the test binary. Files are discovered again when the
/// binary runs, so new files appear without a rebuild. See `stressor::harness` for the details.
#[proc_macro]
pub fn harness(input: TokenStream) -> TokenStream {
    let HarnessInput {
        pattern,
        before,
        activities,
    } = syn::parse_macro_input!(input as HarnessInput);
    let manifest_dir = match std::env::var("CARGO_MANIFEST_DIR") {
        Ok(dir) => std::path::PathBuf::from(dir),
        Err(_) => {
            return syn::Error::new(pattern.span(), "CARGO_MANIFEST_DIR is not set")
                .to_compile_error()
                .into();
        }
    };
    let full = manifest_dir.join(pattern.value());
    let paths = match glob::glob(&full.to_string_lossy()) {
        Ok(paths) => paths,
        Err(e) => {
            return syn::Error::new(pattern.span(), format!("invalid glob pattern: {e}"))
                .to_compile_error()
                .into();
        }
    };
    let mut files: Vec<std::path::PathBuf> = paths.filter_map(Result::ok).filter(|p| p.is_file()).collect();
    files.sort();
    let includes = files.iter().map(|p| {
        let abs = p.to_string_lossy().into_owned();
        quote! { const _: &[u8] = include_bytes!(#abs); }
    });
    let relative = files.iter().map(|p| {
        p.strip_prefix(&manifest_dir)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    });
    let before = match before {
        Some(hook) => quote! { ::core::option::Option::Some(#hook) },
        None => quote! { ::core::option::Option::None },
    };
    let activities = match activities {
        Some(f) => quote! { ::core::option::Option::Some(#f) },
        None => quote! { ::core::option::Option::None },
    };
    quote! {
        #(#includes)*

        fn main() -> ::std::process::ExitCode {
            ::stressor::harness::main(::stressor::harness::HarnessConfig {
                pattern: #pattern,
                manifest_dir: env!("CARGO_MANIFEST_DIR"),
                files: &[#(#relative),*],
                before: #before,
                activities: #activities,
            })
        }
    }
    .into()
}
