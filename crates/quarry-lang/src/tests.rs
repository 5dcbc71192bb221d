use super::*;
use std::collections::HashMap;

/// Detected canonical name for a path with no content.
fn name(path: &str) -> Option<&'static str> {
    detect(path, b"").map(|l| l.name)
}

/// Detected canonical name for a path with the given head.
fn name_with(path: &str, head: &str) -> Option<&'static str> {
    detect(path, head.as_bytes()).map(|l| l.name)
}

// ------------------------------------------------------------- table --

#[test]
fn at_least_sixty_languages() {
    assert!(all().len() >= 60, "only {} languages", all().len());
}

#[test]
fn ids_are_dense_stable_and_round_trip() {
    for (i, lang) in all().iter().enumerate() {
        // Entry i must have id i+1: ids are append-only, never renumbered.
        assert_eq!(usize::from(lang.id), i + 1, "{} is out of place", lang.name);
        assert_ne!(lang.id, UNKNOWN);
        assert_eq!(by_id(lang.id).map(|l| l.name), Some(lang.name));
        assert_eq!(
            by_name(lang.name),
            Some(lang),
            "canonical name {}",
            lang.name
        );
        for alias in lang.aliases {
            assert_eq!(by_name(alias), Some(lang), "alias {alias}");
        }
    }
    assert!(by_id(0).is_none());
    assert!(by_id(LangId::try_from(all().len() + 1).unwrap()).is_none());
    assert!(by_id(LangId::MAX).is_none());
}

/// Pins a few ids that existing indexes rely on. If this fails, an entry was
/// moved or inserted: put it back and append new languages at the end.
#[test]
fn well_known_ids_never_change() {
    let pinned = [
        (1, "C"),
        (2, "C++"),
        (4, "Go"),
        (6, "JavaScript"),
        (9, "Python"),
        (11, "Rust"),
        (16, "Shell"),
        (39, "Makefile"),
        (43, "Assembly"),
        (61, "Device Tree"),
        (62, "Kconfig"),
        (63, "Linker Script"),
        (150, "Haxe"),
    ];
    for (id, name) in pinned {
        assert_eq!(by_id(id).map(|l| l.name), Some(name), "id {id}");
    }
}

#[test]
fn names_and_aliases_are_unique_across_languages() {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for lang in all() {
        assert!(!lang.aliases.is_empty(), "{} has no alias", lang.name);
        let mut keys: Vec<String> = lang.aliases.iter().map(|a| a.to_string()).collect();
        keys.push(normalize(lang.name));
        keys.sort();
        keys.dedup();
        for key in keys {
            if let Some(other) = seen.insert(key.clone(), lang.name) {
                panic!("`{key}` is claimed by both {other} and {}", lang.name);
            }
        }
        for alias in lang.aliases {
            assert_eq!(
                &normalize(alias),
                alias,
                "alias `{alias}` of {} must be lowercase, without spaces/underscores",
                lang.name
            );
        }
    }
}

#[test]
fn extensions_filenames_and_interpreters_are_unique() {
    fn check(kind: &str, items: impl Fn(&Language) -> &'static [&'static str]) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for lang in all() {
            for &item in items(lang) {
                assert!(!item.is_empty(), "empty {kind} in {}", lang.name);
                if let Some(other) = seen.insert(item, lang.name) {
                    panic!(
                        "{kind} `{item}` is claimed by both {other} and {}",
                        lang.name
                    );
                }
            }
        }
    }
    check("extension", |l| l.extensions);
    check("file name", |l| l.filenames);
    check("interpreter", |l| l.interpreters);
}

#[test]
fn extensions_are_lowercase_without_dot() {
    for lang in all() {
        for ext in lang.extensions {
            assert_eq!(ext.to_ascii_lowercase(), *ext, "{} has `{ext}`", lang.name);
            assert!(!ext.starts_with('.') && !ext.ends_with('.'), "`{ext}`");
            assert!(ext.len() <= MAX_EXT_LEN, "`{ext}` is too long");
        }
        for f in lang.filenames {
            assert!(!f.contains('/'), "file name `{f}` of {}", lang.name);
        }
    }
}

#[test]
fn auxiliary_tables_resolve() {
    for (what, name) in FILENAME_PREFIXES
        .iter()
        .chain(CASE_SENSITIVE_EXTENSIONS)
        .map(|(k, n)| (*k, *n))
        .chain(all().iter().filter_map(|l| l.group.map(|g| (l.name, g))))
    {
        assert!(
            by_name(name).is_some(),
            "`{what}` refers to unknown `{name}`"
        );
    }
}

#[test]
fn covers_required_languages() {
    let required = [
        "C",
        "C++",
        "C#",
        "Go",
        "Java",
        "JavaScript",
        "TypeScript",
        "TSX",
        "Python",
        "Ruby",
        "Rust",
        "PHP",
        "Swift",
        "Kotlin",
        "Scala",
        "Shell",
        "PowerShell",
        "Perl",
        "Lua",
        "R",
        "Objective-C",
        "Dart",
        "Haskell",
        "Elixir",
        "Erlang",
        "Clojure",
        "OCaml",
        "F#",
        "Julia",
        "SQL",
        "HTML",
        "CSS",
        "SCSS",
        "Markdown",
        "JSON",
        "YAML",
        "TOML",
        "XML",
        "Makefile",
        "Dockerfile",
        "CMake",
        "Protocol Buffer",
        "Assembly",
        "Groovy",
        "Vim Script",
        "Emacs Lisp",
        "Zig",
        "Nim",
        "HCL",
        "Text",
        "reStructuredText",
        "TeX",
        "Awk",
        "Batchfile",
        "Fortran",
        "Pascal",
        "Verilog",
        "VHDL",
        "Nix",
        "Starlark",
        "Device Tree",
        "Kconfig",
        "Linker Script",
        "SmPL",
        "Roff",
    ];
    for name in required {
        assert!(by_name(name).is_some(), "missing {name}");
    }
}

// ------------------------------------------------------------ by_name --

#[test]
fn by_name_aliases_and_case() {
    let cases = [
        ("go", "Go"),
        ("Go", "Go"),
        ("golang", "Go"),
        ("GOLANG", "Go"),
        ("c++", "C++"),
        ("cpp", "C++"),
        ("C++", "C++"),
        ("c", "C"),
        ("c#", "C#"),
        ("csharp", "C#"),
        ("js", "JavaScript"),
        ("javascript", "JavaScript"),
        ("JavaScript", "JavaScript"),
        ("jsx", "JavaScript"),
        ("ts", "TypeScript"),
        ("tsx", "TSX"),
        ("sh", "Shell"),
        ("bash", "Shell"),
        ("shell", "Shell"),
        ("zsh", "Shell"),
        ("py", "Python"),
        ("python3", "Python"),
        ("rs", "Rust"),
        ("rb", "Ruby"),
        ("objc", "Objective-C"),
        ("Objective C", "Objective-C"),
        ("terraform", "HCL"),
        ("bazel", "Starlark"),
        ("elisp", "Emacs Lisp"),
        ("emacs_lisp", "Emacs Lisp"),
        ("Emacs Lisp", "Emacs Lisp"),
        ("vim", "Vim Script"),
        ("viml", "Vim Script"),
        ("dts", "Device Tree"),
        ("devicetree", "Device Tree"),
        ("Device Tree", "Device Tree"),
        ("coccinelle", "SmPL"),
        ("man", "Roff"),
        ("groff", "Roff"),
        ("proto", "Protocol Buffer"),
        ("protobuf", "Protocol Buffer"),
        ("make", "Makefile"),
        ("md", "Markdown"),
        ("yml", "YAML"),
        ("latex", "TeX"),
        ("rst", "reStructuredText"),
        ("bat", "Batchfile"),
        ("asm", "Assembly"),
        ("kconfig", "Kconfig"),
        ("plain text", "Text"),
        ("vb.net", "Visual Basic .NET"),
        ("  Rust ", "Rust"),
    ];
    for (input, want) in cases {
        assert_eq!(by_name(input).map(|l| l.name), Some(want), "lang:{input}");
    }
    for unknown in ["", "   ", "klingon", "c+++", "pyhton"] {
        assert!(by_name(unknown).is_none(), "lang:{unknown}");
    }
}

// ------------------------------------------------------------ suggest --

#[test]
fn suggest_finds_typos_and_prefixes() {
    let s = suggest("pyhton");
    assert!(s.contains(&"python"), "{s:?}");
    assert_eq!(s.first(), Some(&"python"), "{s:?}");

    let s = suggest("golan");
    assert!(s.contains(&"go"), "{s:?}");

    let s = suggest("javscript");
    assert_eq!(s.first(), Some(&"javascript"), "{s:?}");

    let s = suggest("typescirpt");
    assert_eq!(s.first(), Some(&"typescript"), "{s:?}");

    let s = suggest("Rsut");
    assert_eq!(s.first(), Some(&"rust"), "{s:?}");

    let s = suggest("kotl");
    assert_eq!(s.first(), Some(&"kotlin"), "{s:?}");

    // Far-worse candidates are dropped rather than padding the list.
    assert_eq!(suggest("javscript"), vec!["javascript"]);
    assert_eq!(suggest("devicetre"), vec!["device-tree"]);
}

#[test]
fn suggest_is_bounded_and_sane() {
    assert!(suggest("").is_empty());
    assert!(suggest("qqqqqqqqqqqqqqqq").is_empty());
    for q in ["c", "j", "pyt", "sh", "x"] {
        let s = suggest(q);
        assert!(s.len() <= 3, "{q}: {s:?}");
        for name in s {
            assert!(by_name(name).is_some(), "{q}: suggested unknown {name}");
        }
    }
    // Every suggestion is a distinct language.
    let s = suggest("pyhton");
    let mut ids: Vec<_> = s.iter().map(|n| by_name(n).unwrap().id).collect();
    ids.dedup();
    assert_eq!(ids.len(), s.len());
}

#[test]
fn edit_distance_counts_transpositions() {
    assert_eq!(edit_distance("", ""), 0);
    assert_eq!(edit_distance("go", ""), 2);
    assert_eq!(edit_distance("pyhton", "python"), 1);
    assert_eq!(edit_distance("golan", "golang"), 1);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

// ------------------------------------------------------------- detect --

#[test]
fn detect_common_extensions() {
    let cases = [
        ("main.c", "C"),
        ("include/linux/sched.h", "C"),
        ("src/foo.cc", "C++"),
        ("src/foo.cpp", "C++"),
        ("src/foo.hpp", "C++"),
        ("Program.cs", "C#"),
        ("cmd/quarry/main.go", "Go"),
        ("Foo.java", "Java"),
        ("app.js", "JavaScript"),
        ("app.mjs", "JavaScript"),
        ("App.jsx", "JavaScript"),
        ("index.ts", "TypeScript"),
        ("types.d.ts", "TypeScript"),
        ("App.tsx", "TSX"),
        ("setup.py", "Python"),
        ("lib/foo.rb", "Ruby"),
        ("src/lib.rs", "Rust"),
        ("index.php", "PHP"),
        ("main.swift", "Swift"),
        ("Main.kt", "Kotlin"),
        ("build.sbt", "Scala"),
        ("x.sh", "Shell"),
        ("x.bash", "Shell"),
        ("profile.ps1", "PowerShell"),
        ("scripts/checkpatch.pl", "Perl"),
        ("init.lua", "Lua"),
        ("analysis.R", "R"),
        ("AppDelegate.m", "Objective-C"),
        ("AppDelegate.mm", "Objective-C++"),
        ("main.dart", "Dart"),
        ("Main.hs", "Haskell"),
        ("mix.exs", "Elixir"),
        ("gen_server.erl", "Erlang"),
        ("core.clj", "Clojure"),
        ("main.ml", "OCaml"),
        ("Program.fs", "F#"),
        ("main.jl", "Julia"),
        ("schema.sql", "SQL"),
        ("index.html", "HTML"),
        ("style.css", "CSS"),
        ("style.scss", "SCSS"),
        ("README.md", "Markdown"),
        ("package.json", "JSON"),
        ("config.yaml", "YAML"),
        (".github/workflows/ci.yml", "YAML"),
        ("Cargo.toml", "TOML"),
        ("pom.xml", "XML"),
        ("common.mk", "Makefile"),
        ("api.proto", "Protocol Buffer"),
        ("boot.asm", "Assembly"),
        ("build.groovy", "Groovy"),
        ("plugin.vim", "Vim Script"),
        ("init.el", "Emacs Lisp"),
        ("main.zig", "Zig"),
        ("main.nim", "Nim"),
        ("main.tf", "HCL"),
        ("notes.txt", "Text"),
        ("index.rst", "reStructuredText"),
        ("paper.tex", "TeX"),
        ("script.awk", "Awk"),
        ("build.bat", "Batchfile"),
        ("solver.f90", "Fortran"),
        ("unit.pas", "Pascal"),
        ("cpu.v", "Verilog"),
        ("cpu.vhd", "VHDL"),
        ("default.nix", "Nix"),
        ("defs.bzl", "Starlark"),
        ("patch.diff", "Diff"),
        ("0001-fix.patch", "Diff"),
        ("notebook.ipynb", "Jupyter Notebook"),
    ];
    for (path, want) in cases {
        assert_eq!(name(path), Some(want), "{path}");
    }
}

#[test]
fn detect_linux_kernel_paths() {
    let cases = [
        ("Makefile", "Makefile"),
        ("arch/x86/boot/Makefile", "Makefile"),
        ("Kbuild", "Makefile"),
        ("scripts/Makefile.build", "Makefile"),
        ("scripts/Makefile.lib", "Makefile"),
        ("scripts/Kbuild.include", "Makefile"),
        ("Kconfig", "Kconfig"),
        ("arch/x86/Kconfig", "Kconfig"),
        ("arch/x86/Kconfig.debug", "Kconfig"),
        ("arch/arm64/Kconfig.platforms", "Kconfig"),
        ("arch/x86/entry/entry_64.S", "Assembly"),
        ("arch/x86/kernel/vmlinux.lds.S", "Linker Script"),
        ("arch/arm/boot/compressed/vmlinux.lds", "Linker Script"),
        ("arch/arm64/boot/dts/arm/juno.dts", "Device Tree"),
        ("arch/arm64/boot/dts/arm/juno-base.dtsi", "Device Tree"),
        ("scripts/coccinelle/api/memdup.cocci", "SmPL"),
        ("Documentation/admin-guide/README.rst", "reStructuredText"),
        ("Documentation/devicetree/bindings/arm/cpus.yaml", "YAML"),
        ("tools/power/x86/turbostat/turbostat.8", "Roff"),
        ("scripts/kconfig/lexer.l", "Lex"),
        ("scripts/kconfig/parser.y", "Yacc"),
        ("kernel/bpf/verifier.c", "C"),
        ("tools/testing/selftests/bpf/progs/test.bpf.c", "C"),
        ("rust/kernel/lib.rs", "Rust"),
        ("scripts/checkpatch.pl", "Perl"),
        ("scripts/bpf_doc.py", "Python"),
        ("COPYING", "Text"),
        ("MAINTAINERS", "Text"),
        ("CREDITS", "Text"),
        (".gitignore", "Ignore List"),
        ("drivers/gpu/.gitignore", "Ignore List"),
        (".clang-format", "YAML"),
        (".editorconfig", "EditorConfig"),
        (".rustfmt.toml", "TOML"),
        ("scripts/asn1_compiler.asn1", "ASN.1"),
    ];
    for (path, want) in cases {
        assert_eq!(name(path), Some(want), "{path}");
    }
    // Extension-less scripts are identified by their shebang.
    assert_eq!(
        name_with("scripts/ver_linux", "#!/usr/bin/awk -f\n# comment\n"),
        Some("Awk")
    );
    assert_eq!(
        name_with("scripts/config", "#!/usr/bin/env bash\n"),
        Some("Shell")
    );
    // ftrace test cases: unknown `.tc` extension, /bin/sh shebang.
    assert_eq!(
        name_with(
            "tools/testing/selftests/ftrace/test.d/00basic/basic1.tc",
            "#!/bin/sh\n# SPDX-License-Identifier: GPL-2.0\n"
        ),
        Some("Shell")
    );
}

#[test]
fn detect_special_file_names() {
    let cases = [
        ("Dockerfile", "Dockerfile"),
        ("docker/Dockerfile", "Dockerfile"),
        ("Dockerfile.dev", "Dockerfile"),
        ("build/Containerfile", "Dockerfile"),
        ("app.dockerfile", "Dockerfile"),
        ("CMakeLists.txt", "CMake"),
        ("src/CMakeLists.txt", "CMake"),
        ("cmake/FindFoo.cmake", "CMake"),
        ("GNUmakefile", "Makefile"),
        ("makefile", "Makefile"),
        ("Makefile.am", "Makefile"),
        ("Makefile.PL", "Perl"),
        ("BUILD", "Starlark"),
        ("BUILD.bazel", "Starlark"),
        ("WORKSPACE", "Starlark"),
        ("Gemfile", "Ruby"),
        ("Rakefile", "Ruby"),
        ("Vagrantfile", "Ruby"),
        ("Jenkinsfile", "Groovy"),
        ("go.mod", "Go Module"),
        ("go.sum", "Go Checksums"),
        ("Cargo.lock", "TOML"),
        ("yarn.lock", "YAML"),
        ("tsconfig.json", "JSON with Comments"),
        (".bashrc", "Shell"),
        ("PKGBUILD", "Shell"),
        (".vimrc", "Vim Script"),
        (".emacs", "Emacs Lisp"),
        ("meson.build", "Meson"),
        ("requirements.txt", "Pip Requirements"),
        (".env", "Dotenv"),
        ("justfile", "Just"),
        ("configure.ac", "M4Sugar"),
        ("build.gradle", "Gradle"),
        ("build.gradle.kts", "Gradle"),
        ("settings.kts", "Kotlin"),
        ("config.h.in", "C"),
        ("LICENSE", "Text"),
        ("README", "Text"),
    ];
    for (path, want) in cases {
        assert_eq!(name(path), Some(want), "{path}");
    }
}

#[test]
fn detect_case_handling() {
    // Upper-case .C/.H are C++ (GCC's convention); other extensions ignore case.
    assert_eq!(name("foo.C"), Some("C++"));
    assert_eq!(name("foo.H"), Some("C++"));
    assert_eq!(name("foo.c"), Some("C"));
    assert_eq!(name("foo.h"), Some("C"));
    assert_eq!(name("FOO.CPP"), Some("C++"));
    assert_eq!(name("head.S"), Some("Assembly"));
    assert_eq!(name("head.s"), Some("Assembly"));
    assert_eq!(name("README.MD"), Some("Markdown"));
    assert_eq!(name("Main.JAVA"), Some("Java"));
    assert_eq!(name("SETUP.PY"), Some("Python"));
    // Exact file names are case-sensitive: `build` is not Bazel's BUILD.
    assert_eq!(name("build"), None);
    assert_eq!(name("BUILD"), Some("Starlark"));
}

#[test]
fn detect_compound_and_dotted_names() {
    assert_eq!(name("api.pb.go"), Some("Go"));
    assert_eq!(name("jquery.min.js"), Some("JavaScript"));
    assert_eq!(name("foo.test.ts"), Some("TypeScript"));
    assert_eq!(name("notes.rst.txt"), Some("reStructuredText"));
    assert_eq!(name(".eslintrc.json"), Some("JSON with Comments"));
    assert_eq!(name(".prettierrc.json"), Some("JSON"));
    assert_eq!(name("Makefile.json"), Some("JSON"));
    assert_eq!(name("dir.with.dots/file.rs"), Some("Rust"));
    assert_eq!(name("dir.with.dots/file"), None);
}

#[test]
fn detect_unknown() {
    for path in [
        "",
        "src/",
        "foo.unknownext",
        "foo.",
        "noext",
        ".hidden",
        "archive.tar.gz",
        "image.png",
        "weird.inc",
        "x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        assert_eq!(name(path), None, "{path:?}");
        assert_eq!(detect_id(path, b""), UNKNOWN, "{path:?}");
    }
    // Non-ASCII names must not panic.
    assert_eq!(name("données/été.c"), Some("C"));
    assert_eq!(name("файл.рус"), None);
}

#[test]
fn detect_shebangs() {
    let cases = [
        ("#!/bin/sh\n", "Shell"),
        ("#!/bin/bash -e\necho", "Shell"),
        ("#! /bin/sh\n", "Shell"),
        ("#!/usr/bin/env bash\n", "Shell"),
        ("#!/usr/bin/env zsh", "Shell"),
        ("#!/bin/dash\n", "Shell"),
        ("#!/usr/bin/env python3\n", "Python"),
        ("#!/usr/bin/python\n", "Python"),
        ("#!/usr/bin/python3.12\n", "Python"),
        ("#!/usr/bin/env -S python3 -u\n", "Python"),
        ("#!/usr/bin/env PYTHONPATH=. python3\n", "Python"),
        ("#!/usr/bin/env -u FOO python3\n", "Python"),
        ("#!/usr/bin/perl -w\n", "Perl"),
        ("#!/usr/bin/env perl\n", "Perl"),
        ("#!/usr/bin/env ruby\n", "Ruby"),
        ("#!/usr/bin/ruby2.7\n", "Ruby"),
        ("#!/usr/bin/env node\n", "JavaScript"),
        ("#!/usr/bin/env -S deno run --allow-net\n", "TypeScript"),
        ("#!/usr/bin/awk -f\n", "Awk"),
        ("#!/usr/bin/gawk -f\n", "Awk"),
        ("#!/usr/bin/env lua5.4\n", "Lua"),
        ("#!/usr/bin/php\n", "PHP"),
        ("#!/usr/bin/tclsh\n", "Tcl"),
        ("#!/usr/bin/env Rscript\n", "R"),
        ("#!/usr/bin/make -f\n", "Makefile"),
        ("#!/bin/sed -f\n", "sed"),
        ("#!/usr/bin/env pwsh\n", "PowerShell"),
        ("#!/usr/bin/env fish\n", "fish"),
        ("#!/bin/busybox sh\n", "Shell"),
        ("#!/usr/bin/env escript\n", "Erlang"),
        ("#!/usr/bin/env runghc\n", "Haskell"),
        ("\u{feff}#!/bin/sh\n", "Shell"),
        ("#!/bin/sh\r\n", "Shell"),
    ];
    for (head, want) in cases {
        assert_eq!(name_with("script", head), Some(want), "{head:?}");
        assert_eq!(
            detect_shebang(head.as_bytes()).map(|l| l.name),
            Some(want),
            "{head:?}"
        );
    }
    for head in [
        "",
        "#!",
        "#!\n",
        "#!/usr/bin/env\n",
        "#!/usr/bin/env -S\n",
        "#!/usr/bin/unknown-interp\n",
        "# not a shebang\n",
        " #!/bin/sh\n",
        "echo hi\n#!/bin/sh\n",
        "#!/usr/bin/123\n",
    ] {
        assert_eq!(name_with("script", head), None, "{head:?}");
    }
    // Invalid UTF-8 after the interpreter and a missing newline are fine.
    assert_eq!(
        detect("script", b"#!/bin/sh \xff\xfe").map(|l| l.name),
        Some("Shell")
    );
    // The path wins over the shebang.
    assert_eq!(name_with("x.py", "#!/bin/sh\n"), Some("Python"));
    // Only the first line counts.
    assert_eq!(name_with("script", "#!/bin/false\n#!/bin/sh\n"), None);
}

#[test]
fn groups_and_filters() {
    let ts = by_name("typescript").unwrap();
    let tsx = by_name("tsx").unwrap();
    let js = by_name("js").unwrap();
    assert_eq!(tsx.group(), ts);
    assert_eq!(ts.group(), ts);
    assert!(tsx.matches_filter(ts));
    assert!(ts.matches_filter(ts));
    assert!(!ts.matches_filter(tsx));
    assert!(!js.matches_filter(ts));
    let shell = by_name("shell").unwrap();
    assert!(by_name("fish").unwrap().matches_filter(shell));
    assert_eq!(tsx.to_string(), "TSX");
}

// ------------------------------------------------------ classification --

#[test]
fn test_paths() {
    let yes = [
        "tests/foo.rs",
        "crates/x/tests/it.rs",
        "test/foo.c",
        "src/__tests__/App.js",
        "pkg/foo/testdata/input.txt",
        "foo_test.go",
        "pkg/server/handler_test.go",
        "src/foo_test.rs",
        "test_utils.py",
        "pkg/test_parser.py",
        "tests.py",
        "conftest.py",
        "spec/models/user_spec.rb",
        "lib/user_spec.rb",
        "src/App.test.js",
        "src/App.spec.ts",
        "src/App.test.tsx",
        "src/test/java/com/x/FooTest.java",
        "FooTests.cs",
        "MyApp.Tests/FooFacts.cs",
        "FooTestCase.java",
        "TestFoo.java",
        "UserSpec.groovy",
        "tools/testing/selftests/bpf/test_verifier.c",
        "lib/test_bitmap.c",
        "lib/kunit/executor.c",
        "mm/kasan/kasan_test.c",
        "integration_tests/run.sh",
        "src/foo_unittest.cc",
        "e2e/login.ts",
        "Tests/Foo.swift",
    ];
    for p in yes {
        assert!(is_test_path(p), "{p} should be a test path");
    }
    let no = [
        "src/main.rs",
        "src/latest.go",
        "src/contest.c",
        "Contest.java",
        "Testament.java",
        "src/attestation/quote.go",
        "kernel/sched/core.c",
        "scripts/checkpatch.pl",
        "protest.py",
        "src/testimony.rs",
        "manifest.json",
        "Documentation/dev-tools/kasan.rst",
        "README.md",
        "",
    ];
    for p in no {
        assert!(!is_test_path(p), "{p} should not be a test path");
    }
}

#[test]
fn vendored_paths() {
    let yes = [
        "vendor/github.com/x/y/z.go",
        "app/vendor/lib.js",
        "third_party/abseil/absl.h",
        "src/third-party/foo.c",
        "ThirdParty/zlib/inflate.c",
        "3rdparty/a.c",
        "node_modules/react/index.js",
        "web/node_modules/x/y.js",
        "external/boringssl/ssl.c",
        "deps/uv/src/unix/core.c",
        "bower_components/x.js",
        "Pods/AFNetworking/x.m",
        "static/js/jquery-3.6.0.js",
        "static/js/jquery.min.js",
        "assets/app.min.js",
        "assets/app-min.js",
        "assets/style.min.css",
        "css/bootstrap.css",
        "gradlew",
        "android/gradlew.bat",
        "gradle/wrapper/gradle-wrapper.jar",
        ".mvn/wrapper/maven-wrapper.properties",
        "Godeps/_workspace/src/x.go",
        "dist/bundle.js",
    ];
    for p in yes {
        assert!(is_vendored_path(p), "{p} should be vendored");
    }
    let no = [
        "src/main.rs",
        "src/deps/graph.rs", // only a top-level deps/ counts
        "kernel/sched/core.c",
        "drivers/net/ethernet/intel/e1000/e1000_main.c",
        "src/vendors.go",
        "lib/minimal.js",
        "src/vendored_reader.rs",
        "app/admin.js",
        "",
    ];
    for p in no {
        assert!(!is_vendored_path(p), "{p} should not be vendored");
    }
}

#[test]
fn generated_paths() {
    let yes = [
        "api/v1/service.pb.go",
        "api/v1/service_grpc.pb.go",
        "api/v1/service.pb.gw.go",
        "proto/foo.pb.cc",
        "proto/foo.pb.h",
        "proto/foo_pb2.py",
        "proto/foo_pb2_grpc.py",
        "web/foo_pb.js",
        "web/foo_pb.d.ts",
        "src/Foo.generated.cs",
        "src/schema.generated.ts",
        "Form1.Designer.cs",
        "lib/model.g.dart",
        "lib/model.freezed.dart",
        "pkg/apis/v1/zz_generated.deepcopy.go",
        "pkg/client/clientset_generated.go",
        "src/__generated__/Query.graphql.ts",
        "package-lock.json",
        "web/yarn.lock",
        "pnpm-lock.yaml",
        "Cargo.lock",
        "go.sum",
        "Gemfile.lock",
        "poetry.lock",
        "composer.lock",
        "flake.lock",
        "static/app.js.map",
        "parser.tab.c",
    ];
    for p in yes {
        assert!(is_generated_path(p), "{p} should be generated");
    }
    let no = [
        "src/main.rs",
        "pb.go",
        "api/v1/service.go",
        "Cargo.toml",
        "go.mod",
        "package.json",
        "src/generator.rs",
        "src/generate.go",
        "kernel/sched/core.c",
        "src/tab.c",
        "lib/g.dart",
        "",
    ];
    for p in no {
        assert!(!is_generated_path(p), "{p} should not be generated");
    }
}

#[test]
fn generated_content_markers() {
    assert!(is_generated_content(
        b"// Code generated by protoc-gen-go. DO NOT EDIT.\npackage foo\n"
    ));
    assert!(is_generated_content(b"# @generated by buck\n"));
    assert!(is_generated_content(
        b"/* This file is automatically generated */"
    ));
    assert!(!is_generated_content(
        b"// SPDX-License-Identifier: GPL-2.0\n#include <x.h>\n"
    ));
    assert!(!is_generated_content(b""));
    // Markers beyond the first KiB are ignored.
    let mut late = vec![b' '; 2048];
    late.extend_from_slice(b"DO NOT EDIT");
    assert!(!is_generated_content(&late));
}
