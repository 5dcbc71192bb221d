//! Path classification for ranking: tests, vendored code, generated files.
//!
//! All functions take a repository-relative path with '/' separators, never
//! allocate, and are heuristics: a false positive only costs a little rank,
//! so the rules aim at common conventions (linguist's `vendor.yml` and
//! `generated.rb`, JUnit/pytest/Go/Jest/RSpec naming) rather than
//! completeness.

/// Splits `path` into its directory components and base name.
fn split(path: &str) -> (impl Iterator<Item = &str>, &str) {
    let (dir, base) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    (dir.split('/').filter(|c| !c.is_empty() && *c != "."), base)
}

fn eq_any(s: &str, list: &[&str]) -> bool {
    list.iter().any(|x| s.eq_ignore_ascii_case(x))
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.is_char_boundary(s.len() - suffix.len())
        && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The dot-separated parts of a base name before its extension ("foo.test.js"
/// -> "foo", "test"); the whole name if it has no extension. A leading dot
/// belongs to the name.
fn stem_parts(base: &str) -> impl Iterator<Item = &str> {
    let body = base.strip_prefix('.').unwrap_or(base);
    let stem = match body.rfind('.') {
        Some(i) => &body[..i],
        None => body,
    };
    stem.split('.').filter(|p| !p.is_empty())
}

// ---------------------------------------------------------------- tests --

/// Directory names that hold tests or test data (case-insensitive).
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "__test__",
    "testdata",
    "test-data",
    "test_data",
    "testing", // kernel: tools/testing/selftests
    "selftests",
    "kunit",
    "spec",
    "specs",
    "__mocks__",
    "__snapshots__",
    "__fixtures__",
    "fixtures",
    "e2e",
    "unittest",
    "unittests",
    "androidtest", // Android: src/androidTest
];

/// Suffixes marking a directory ("integration_tests", "MyApp.Tests") or a
/// file stem ("foo_test", "bar-spec") as test code (case-insensitive).
const TEST_SUFFIXES: &[&str] = &[
    "_test",
    "_tests",
    "-test",
    "-tests",
    ".test",
    ".tests",
    "_spec",
    "-spec",
    "_unittest",
    "_unittests",
    "_kunit",
    "_selftest",
    "-selftest",
];

/// Whether `path` looks like test code or test data: a test directory
/// anywhere (`tests/`, `__tests__/`, `testdata/`, `tools/testing/`, ...) or a
/// test file name (`*_test.go`, `test_*.py`, `*_spec.rb`, `*.test.js`,
/// `*.spec.ts`, `FooTest.java`, `conftest.py`, ...).
pub fn is_test_path(path: &str) -> bool {
    let (mut dirs, base) = split(path);
    dirs.any(is_test_dir) || is_test_file(base)
}

fn is_test_dir(d: &str) -> bool {
    eq_any(d, TEST_DIRS) || TEST_SUFFIXES.iter().any(|s| ends_with_ci(d, s))
}

fn is_test_file(base: &str) -> bool {
    stem_parts(base).any(|part| {
        eq_any(part, &["test", "tests", "spec", "specs", "e2e", "conftest"])
            || starts_with_ci(part, "test_")
            || starts_with_ci(part, "test-")
            || TEST_SUFFIXES.iter().any(|s| ends_with_ci(part, s))
            || is_camel_case_test(part)
    })
}

/// JUnit-style names, case-sensitive so "Contest"/"latest" don't match:
/// `FooTest`, `FooTests`, `FooTestCase`, `FooSpec`, `TestFoo`.
fn is_camel_case_test(part: &str) -> bool {
    ["Test", "Tests", "TestCase", "Spec"]
        .iter()
        .any(|s| part.len() > s.len() && part.ends_with(s))
        || part
            .strip_prefix("Test")
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_uppercase())
}

// ------------------------------------------------------------- vendored --

/// Directory names of third-party code (case-insensitive), after linguist's
/// vendor.yml.
const VENDOR_DIRS: &[&str] = &[
    "vendor",
    "vendors",
    "third_party",
    "third-party",
    "thirdparty",
    "3rdparty",
    "3rd_party",
    "3rd-party",
    "external",
    "externals",
    "extern",
    "node_modules",
    "bower_components",
    "jspm_packages",
    "Pods",
    "Carthage",
    "site-packages",
    ".venv",
    "dist", // linguist counts distribution bundles as vendored
    ".yarn",
];

/// Base names of vendored wrapper scripts and autotools boilerplate.
const VENDOR_FILES: &[&str] = &[
    "gradlew",
    "gradlew.bat",
    "mvnw",
    "mvnw.cmd",
    ".pnp.js",
    ".pnp.cjs",
    "config.guess",
    "config.sub",
    "aclocal.m4",
    "ltmain.sh",
    "libtool.m4",
];

/// Whether `path` looks like vendored third-party code: `vendor/`,
/// `third_party/`, `node_modules/`, `external/`, a top-level `deps/`,
/// Gradle/Maven wrappers, minified `*.min.js`/`*.min.css`, bundled jQuery and
/// Bootstrap, ...
pub fn is_vendored_path(path: &str) -> bool {
    let (dirs, base) = split(path);
    let mut prev = "";
    for (i, d) in dirs.enumerate() {
        if eq_any(d, VENDOR_DIRS)
            // linguist only treats a top-level deps/ as vendored (node's
            // layout); nested deps/ directories are often project code.
            || (i == 0 && d == "deps")
            || (d == "wrapper" && (prev == "gradle" || prev == ".mvn"))
            || (d == "_workspace" && prev == "Godeps")
        {
            return true;
        }
        prev = d;
    }
    if VENDOR_FILES.contains(&base) {
        return true;
    }
    let minified = [".min.js", "-min.js", ".min.mjs", ".min.css", "-min.css"]
        .iter()
        .any(|s| ends_with_ci(base, s));
    let bundled = (starts_with_ci(base, "jquery") && ends_with_ci(base, ".js"))
        || (starts_with_ci(base, "bootstrap")
            && [".js", ".css", ".less", ".scss", ".styl"]
                .iter()
                .any(|s| ends_with_ci(base, s)));
    minified || bundled
}

// ------------------------------------------------------------ generated --

/// Lock files and other tool-written files, by exact base name.
const GENERATED_FILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
    "deno.lock",
    "Cargo.lock",
    "go.sum",
    "go.work.sum",
    "Gopkg.lock",
    "glide.lock",
    "Gemfile.lock",
    "composer.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "pixi.lock",
    "flake.lock",
    "Podfile.lock",
    "mix.lock",
    "pubspec.lock",
    "Package.resolved",
    "packages.lock.json",
    "gradle.lockfile",
    "MODULE.bazel.lock",
    "lex.yy.c",
];

/// Base-name suffixes of generated code (protobuf/gRPC for various
/// languages, source maps), case-sensitive as the generators write them.
const GENERATED_SUFFIXES: &[&str] = &[
    "_pb2.py",
    "_pb2.pyi",
    "_pb2_grpc.py",
    "_pb.js",
    "_pb.d.ts",
    "_pb.ts",
    "_grpc_pb.js",
    "_grpc_pb.d.ts",
    ".js.map",
    ".css.map",
];

/// Inner dot-parts marking generated code when they are not the first part:
/// `x.pb.go`, `x.pb.cc`, `x.pb-c.c`, `x.generated.ts`, `x.g.dart`, `x.g.cs`,
/// `Form1.Designer.cs`, `x.freezed.dart`, `parser.tab.c` (case-insensitive).
const GENERATED_PARTS: &[&str] = &["pb", "pb-c", "generated", "g", "designer", "freezed", "tab"];

/// Whether `path` looks generated: lock files (`Cargo.lock`, `go.sum`,
/// `package-lock.json`, `yarn.lock`, ...), protobuf output (`*.pb.go`,
/// `*_pb2.py`, ...), `*.generated.*`, `zz_generated*`, `*_generated.go`,
/// source maps, or a `__generated__`/`generated` directory.
///
/// Content markers ("Code generated ... DO NOT EDIT.") are checked separately
/// by [`is_generated_content`].
pub fn is_generated_path(path: &str) -> bool {
    let (mut dirs, base) = split(path);
    if dirs.any(|d| eq_any(d, &["__generated__", "generated"])) {
        return true;
    }
    if GENERATED_FILES.contains(&base) || GENERATED_SUFFIXES.iter().any(|s| base.ends_with(s)) {
        return true;
    }
    stem_parts(base).enumerate().any(|(i, part)| {
        (i > 0 && eq_any(part, GENERATED_PARTS))
            || starts_with_ci(part, "zz_generated")
            || ends_with_ci(part, "_generated")
            || ends_with_ci(part, "-generated")
    })
}

/// Markers that generators put in a file header (matched case-insensitively).
const GENERATED_MARKERS: &[&[u8]] = &[
    b"code generated",
    b"do not edit",
    b"@generated",
    b"autogenerated",
    b"auto-generated",
    b"automatically generated",
];

/// How far into the file we look for a generated-code marker.
const GENERATED_HEAD: usize = 1024;

/// Whether the first bytes of a file carry a generated-code marker such as
/// Go's `// Code generated by protoc-gen-go. DO NOT EDIT.` or `@generated`.
/// Only the first 1 KiB is examined.
pub fn is_generated_content(head: &[u8]) -> bool {
    let head = &head[..head.len().min(GENERATED_HEAD)];
    GENERATED_MARKERS
        .iter()
        .any(|m| head.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m)))
}
