//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) through the same entry points
//! the fuzz targets call (`farthing::fuzzing`), as an ordinary test: every input a fuzzer
//! run found worth keeping, and every crash it found (kept with its fix), stays checked in
//! every build without libFuzzer. `scripts/fuzz` runs the targets themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::fs;
use std::path::{Path, PathBuf};

use farthing::fuzzing::TARGETS;

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("corpus")
}

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = corpus_root().join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

fn replay(target: &str) {
    let (_, run) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let inputs = inputs(target);
    assert!(
        !inputs.is_empty(),
        "fuzz/corpus/{target} holds no input: the target would be replayed by nothing"
    );
    for (path, bytes) in inputs {
        // The path is printed first so a failing input is named in the test output.
        println!("{}", path.display());
        run(&bytes);
    }
}

#[test]
fn money_corpus_replays() {
    replay("money");
}

#[test]
fn token_corpus_replays() {
    replay("token");
}

#[test]
fn request_body_corpus_replays() {
    replay("request_body");
}

#[test]
fn form_corpus_replays() {
    replay("form");
}

#[test]
fn cookie_corpus_replays() {
    replay("cookie");
}

#[test]
fn accept_language_corpus_replays() {
    replay("accept_language");
}

#[test]
fn journal_corpus_replays() {
    replay("journal");
}

/// A target added to `TARGETS` without a test above, a fuzz binary, or a corpus, or a corpus
/// directory left behind by a renamed target, fails here rather than going unreplayed.
#[test]
fn every_target_has_a_binary_a_corpus_and_a_replay_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let this_file = fs::read_to_string(root.join("tests").join("fuzz_corpus.rs")).unwrap();
    let manifest = fs::read_to_string(root.join("fuzz").join("Cargo.toml")).unwrap();
    for (name, _) in TARGETS {
        assert!(
            this_file.contains(&format!("replay(\"{name}\")")),
            "{name} is not replayed here"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} has no fuzz binary in fuzz/Cargo.toml"
        );
        assert!(
            root.join("fuzz")
                .join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "{name} has no fuzz_targets/{name}.rs"
        );
    }
    for entry in fs::read_dir(corpus_root()).unwrap() {
        let dir = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            TARGETS.iter().any(|(name, _)| *name == dir),
            "fuzz/corpus/{dir} belongs to no target"
        );
    }
}
