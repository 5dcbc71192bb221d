//! Times `sync_repository` on a URL: a first sync (clone + index of the default branch), then
//! a sync that finds nothing new. `cargo run --release --example measure -- URL [RUNS]`.

use quarry_index::{DataDir, IndexOptions, NoProgress};
use quarry_sync::{sync_repository, RepoSpec};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: measure URL [RUNS]");
    let runs: usize = args
        .next()
        .map_or(3, |r| r.parse().expect("RUNS is a number"));
    let spec = RepoSpec {
        name: "bench".into(),
        url,
        ..RepoSpec::default()
    };
    for run in 0..runs {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let data = DataDir::new(tmp.path().join("data"));
        let mirrors = tmp.path().join("mirrors");
        let opts = IndexOptions::default();
        let t = Instant::now();
        let first = sync_repository(&data, &mirrors, &spec, &opts, &NoProgress).expect("sync");
        let first_ms = t.elapsed().as_millis();
        let t = Instant::now();
        let again = sync_repository(&data, &mirrors, &spec, &opts, &NoProgress).expect("sync");
        let again_ms = t.elapsed().as_millis();
        let indexed = &first.indexed[0];
        println!(
            "run {run}: first sync {first_ms} ms (clone {} ms, index {} ms, {} files); nothing new {again_ms} ms (fetch {} ms)",
            first.fetch_ms, indexed.duration_ms, indexed.files, again.fetch_ms
        );
    }
}
