//! `certhall-assistant`: the command-line face of the certificate assistant.

fn main() -> std::process::ExitCode {
    certhall_assistant::cli::main()
}
