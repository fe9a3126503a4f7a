fn main() -> std::process::ExitCode {
    stressor::cli::main()
}
