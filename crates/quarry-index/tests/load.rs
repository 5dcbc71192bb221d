//! Loading a data directory reports its progress (the start-up probe shows it).

use quarry_index::{index_repository, DataDir, IndexOptions, NoProgress};
use std::sync::Mutex;

#[test]
fn load_reports_progress_per_repository() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    for name in ["a", "b", "c"] {
        let tree = dir.path().join(name);
        std::fs::create_dir_all(&tree).unwrap();
        std::fs::write(tree.join("f.txt"), "text\n").unwrap();
        index_repository(&data, name, &tree, &IndexOptions::default(), &NoProgress).unwrap();
    }
    let seen = Mutex::new(Vec::new());
    let loaded = data.load_with_progress(&|done, total| seen.lock().unwrap().push((done, total)));
    assert_eq!(loaded.shards.len(), 3);
    assert_eq!(seen.into_inner().unwrap(), [(0, 3), (1, 3), (2, 3), (3, 3)]);
}
