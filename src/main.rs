// mimalloc rather than the system allocator: cheaper per request than glibc's malloc (Cargo.toml says
// how much), and the binary is where the allocator is chosen.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    stressor::cli::main()
}
