//! `lgota-central`: the central records server of «Льгота» and its administration commands
//! (`lgota_central::cli`).

fn main() -> std::process::ExitCode {
    lgota_central::cli::main()
}
