//! Build details for `stressor -V -v`: the compiler, target, profile and git commit. Each falls back to
//! "unknown" so that builds outside a git checkout (e.g. from crates.io) still work.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = output(&rustc, &["--version"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=STRESSOR_BUILD_RUSTC={rustc_version}");
    for (name, var) in [
        ("TARGET", "STRESSOR_BUILD_TARGET"),
        ("PROFILE", "STRESSOR_BUILD_PROFILE"),
    ] {
        let value = std::env::var(name).unwrap_or_else(|_| "unknown".into());
        println!("cargo:rustc-env={var}={value}");
    }
    let commit = output("git", &["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=STRESSOR_BUILD_COMMIT={commit}");
    // Rebuild the details when HEAD moves (a commit, a checkout); only files that exist are named,
    // because cargo reruns the script on every build for a missing one.
    for git_path in ["HEAD", &branch_ref()] {
        if let Some(path) = output("git", &["rev-parse", "--git-path", git_path])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

fn branch_ref() -> String {
    output("git", &["symbolic-ref", "-q", "HEAD"]).unwrap_or_else(|| "HEAD".into())
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}
