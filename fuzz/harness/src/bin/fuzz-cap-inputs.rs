//! Writes the fuzz targets' inputs at the readers' size caps (`TARGET::cap_inputs` of the
//! harness) as files, for `fuzz/run.sh` to time in the fuzz build:
//!
//!     fuzz-cap-inputs DIR [TARGET…]     DIR/TARGET/NAME for every target, or the ones named
//!
//! A file named `NAME@N` may take N times the one-input budget.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("error: no directory to write the inputs into");
        eprintln!("hint: fuzz-cap-inputs DIR [TARGET…]");
        return ExitCode::from(2);
    };
    let names: Vec<String> = args.collect();
    let mut targets = Vec::new();
    for name in &names {
        let Some(t) = clawauth_fuzz_harness::target(name) else {
            let all: Vec<&str> = clawauth_fuzz_harness::TARGETS
                .iter()
                .map(|t| t.name)
                .collect();
            eprintln!("error: unknown fuzz target '{name}'");
            eprintln!("hint: one of: {}", all.join(" "));
            return ExitCode::from(2);
        };
        targets.push(t);
    }
    if targets.is_empty() {
        targets.extend(clawauth_fuzz_harness::TARGETS);
    }
    for t in targets {
        let out = std::path::Path::new(&dir).join(t.name);
        let written = std::fs::create_dir_all(&out).and_then(|()| {
            (t.cap_inputs)()
                .iter()
                .try_for_each(|input| std::fs::write(out.join(input.file_name()), &input.bytes))
        });
        if let Err(e) = written {
            eprintln!(
                "error: writing {}'s inputs into {}: {e}",
                t.name,
                out.display()
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
