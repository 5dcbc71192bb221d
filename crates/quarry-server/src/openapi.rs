//! The OpenAPI document served at `/api/openapi.json`. Written by hand, kept honest by a test
//! that checks every API route of the router is described here.

use serde_json::{json, Value};

fn q(name: &str, required: bool, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": required, "schema": { "type": "string" }, "description": description })
}

fn repo_param() -> Value {
    json!({ "name": "repo", "in": "path", "required": true, "schema": { "type": "string" },
            "description": "Repository name, percent-encoded (names may contain '/')" })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn trace_param() -> Value {
    q(
        "trace",
        false,
        "`1`: add the search's trace (plan, stage timings, counts) to the response, to explain a slow search",
    )
}

fn search_trace_schema() -> Value {
    let num = |d: &str| json!({ "type": "number", "description": d });
    let int = |d: &str| json!({ "type": "integer", "description": d });
    json!({ "type": "object", "description": "What one search did, measured while it ran (only with trace=1)", "properties": {
        "totalMs": num("Wall-clock time of the search, parsing included"),
        "stages": { "type": "array", "description": "parse, plan, shards, merge: in order, not overlapping", "items": { "type": "object", "properties": { "name": { "type": "string" }, "ms": { "type": "number" } } } },
        "shardWork": { "type": "object", "description": "Time inside shards summed over shards (they run in parallel)", "properties": { "postingsMs": num("Reading and intersecting posting lists"), "verifyMs": num("Running the regexes over candidates") } },
        "plan": { "type": "object", "properties": {
            "query": { "type": "string", "description": "The parsed query expression" },
            "caseSensitive": { "type": "boolean" }, "limit": { "type": ["integer", "null"] }, "timeoutMs": { "type": "integer" },
            "condition": { "type": "string", "description": "The n-gram condition, e.g. AND(\"hel\" 12, OR(...)), each n-gram with its posting-list size over the searched shards (`not read`, `unused` when skipped)" },
            "patterns": { "type": "array", "items": { "type": "object", "properties": {
                "pattern": { "type": "string" }, "regex": { "type": "string", "description": "As compiled" },
                "content": { "type": ["string", "null"] }, "path": { "type": ["string", "null"] },
                "required": { "type": "array", "items": { "type": "array", "items": { "type": "string" } }, "description": "Literal sets verification looks for first" }
            }}}
        }},
        "shards": { "type": "object", "properties": { "considered": int(""), "skippedByRevision": int(""), "skippedByRepo": int(""), "searched": int(""), "failed": int("") } },
        "candidateFiles": int("Files left by the posting lists"),
        "filesVerified": int("Candidates the regexes ran on"),
        "filesMatched": int(""),
        "linesMatched": int("Before the result limit"),
        "stoppedEarly": { "type": ["string", "null"], "enum": ["limit", "timeout", null] },
        "slowestShards": { "type": "array", "items": { "type": "object", "properties": {
            "repo": { "type": "string" }, "branch": { "type": "string" }, "shard": { "type": "string" }, "ms": { "type": "number" },
            "candidates": { "type": "integer" }, "verified": { "type": "integer" }, "matched": { "type": "integer" } } } }
    }})
}

/// A `GET` of the admin-only debug endpoints (`quarry debug bundle` collects them all).
fn debug_get(summary: &str, content_type: &str, parameters: Vec<Value>) -> Value {
    json!({ "get": {
        "summary": format!("{summary} (admin only; secrets scrubbed)"),
        "parameters": parameters,
        "responses": {
            "200": { "description": "OK", "content": { content_type: { "schema": { "type": if content_type == "application/json" { "object" } else { "string" } } } } },
            "400": error_response("A parameter is out of range"),
            "401": error_response("Not signed in: send an admin's access token"),
            "403": error_response("The user is not an admin"),
            "409": error_response("A CPU profile is already being taken (profile only)")
        }
    }})
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "quarry",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Code search over indexed repositories. Queries use Sourcegraph's query language."
        },
        "paths": {
            "/api/search": { "get": {
                "summary": "Search, returning all results at once (ranked, limited by count:)",
                "parameters": [q("q", true, "The query, e.g. `lang:go http.Handler`"), trace_param()],
                "responses": {
                    "200": { "description": "Results", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SearchResults" } } } },
                    "400": error_response("The query is invalid; the message points at the problem"),
                    "429": error_response("Too many searches running; retry after the Retry-After seconds")
                }
            }},
            "/.api/search/stream": { "get": {
                "summary": "Search, streaming results as Server-Sent Events in Sourcegraph's format (matches, progress, filters, alert, done; with trace=1 also a `trace` event, a SearchTrace, before done)",
                "parameters": [q("q", true, "The query"), q("display", false, "Maximum number of matches to send (-1: no limit)"), trace_param()],
                "responses": {
                    "200": { "description": "An event stream", "content": { "text/event-stream": { "schema": { "type": "string" } } } },
                    "429": error_response("Too many searches running; retry after the Retry-After seconds")
                }
            }},
            "/api/repos": { "get": {
                "summary": "List repositories with their indexed branches and sync status",
                "responses": { "200": { "description": "Repositories", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Repository" } } } } } }
            }},
            "/api/repos/{repo}": { "get": {
                "summary": "One repository's branches and sync status, including the last error",
                "parameters": [repo_param()],
                "responses": {
                    "200": { "description": "The repository", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Repository" } } } },
                    "404": error_response("No such repository")
                }
            }},
            "/api/repos/{repo}/blob": { "get": {
                "summary": "A file's contents as indexed",
                "parameters": [repo_param(), q("path", true, "Repository-relative path"), q("rev", false, "Branch or tag; the default branch when empty")],
                "responses": {
                    "200": { "description": "The file", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Blob" } } } },
                    "404": error_response("No such repository or file")
                }
            }},
            "/api/repos/{repo}/sync": { "post": {
                "summary": "Fetch and re-index a repository now (admin only)",
                "parameters": [repo_param()],
                "responses": {
                    "202": { "description": "Queued" },
                    "404": error_response("No such repository"),
                    "409": error_response("This server has no sync configured")
                }
            }},
            "/api/webhooks/{host}": { "post": {
                "summary": "Push webhook from a code host (github, gitlab, gitea); verified with the configured secret, then the pushed repository is synced",
                "parameters": [{ "name": "host", "in": "path", "required": true, "schema": { "type": "string", "enum": ["github", "gitlab", "gitea"] } }],
                "responses": {
                    "202": { "description": "Accepted; lists the repositories whose sync was triggered" },
                    "401": error_response("Missing or wrong signature/token"),
                    "404": error_response("This webhook is not configured")
                }
            }},
            "/api/debug/info": debug_get(
                "Version, git commit, compiler and target, OS and kernel, pid, start time and uptime, data directory, listen address, config file, features",
                "application/json", vec![]),
            "/api/debug/config": debug_get(
                "The effective running configuration (defaults included, updated by each applied reload); secrets appear as their references, URL credentials as ***",
                "application/json", vec![]),
            "/api/debug/logs": debug_get(
                "The last log lines (up to 2000), JSON, one a line, oldest first",
                "application/x-ndjson", vec![q("lines", false, "How many of the last lines (default: all kept)")]),
            "/api/debug/inventory": debug_get(
                "Every repository with its sync state and last error; every manifest (branch, commit, generation) with its shards, their size and whether they are served; load errors; leftover temporary files",
                "application/json", vec![]),
            "/api/debug/disk": debug_get(
                "Bytes and files per part of the data directory (shards, repos, mirrors, quarry.db*, other) and the file system's free space and inodes",
                "application/json", vec![]),
            "/api/debug/pprof/profile": debug_get(
                "A CPU profile of the whole process as folded stacks (`thread;outer;...;leaf COUNT` per line; inferno, flamegraph.pl and speedscope read it). One profile at a time",
                "text/plain", vec![q("seconds", false, "How long to sample, 1 to 60 (default 5)")]),
            "/api/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.1 document" } }
            }},
            "/healthz": { "get": {
                "summary": "Liveness: the process answers (`?verbose`: JSON with the uptime)",
                "responses": { "200": { "description": "Alive" } }
            }},
            "/readyz": { "get": {
                "summary": "Readiness: the index is loaded and the state store answers (`?verbose`: each check as JSON)",
                "responses": { "200": { "description": "Ready" }, "503": { "description": "Not ready; `?verbose` says which check fails and why" } }
            }},
            "/metrics": { "get": {
                "summary": "Metrics in the Prometheus text format (HTTP requests by route, process resources, build info); needs sign-in when the API does",
                "responses": {
                    "200": { "description": "Prometheus text exposition format 0.0.4", "content": { "text/plain; version=0.0.4": { "schema": { "type": "string" } } } },
                    "401": error_response("Sign-in is required on this server: send an access token")
                }
            }},
            "/startupz": { "get": {
                "summary": "Start-up: 503 while the index loads, then 200 (`?verbose`: phase and elapsed time)",
                "responses": { "200": { "description": "Started" }, "503": { "description": "Still starting" } }
            }}
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string", "description": "What went wrong and how to fix it" } } },
            "Range": { "type": "object", "properties": { "start": { "type": "integer" }, "end": { "type": "integer" } }, "description": "Byte offsets, end exclusive" },
            "LineMatch": { "type": "object", "properties": {
                "line": { "type": "integer", "description": "1-based line number" },
                "text": { "type": "string" },
                "ranges": { "type": "array", "items": { "$ref": "#/components/schemas/Range" } }
            }},
            "FileMatch": { "type": "object", "properties": {
                "repo": { "type": "string" }, "path": { "type": "string" }, "language": { "type": ["string", "null"] },
                "lines": { "type": "array", "items": { "$ref": "#/components/schemas/LineMatch" } },
                "path_ranges": { "type": "array", "items": { "$ref": "#/components/schemas/Range" } },
                "score": { "type": "number" }
            }},
            "SearchResults": { "type": "object", "properties": {
                "matchCount": { "type": "integer" }, "limitHit": { "type": "boolean" }, "timedOut": { "type": "boolean" },
                "durationMs": { "type": "integer" },
                "results": { "type": "array", "items": { "$ref": "#/components/schemas/FileMatch" } },
                "repositories": { "type": "array", "items": { "type": "string" }, "description": "With select:repo" },
                "alert": { "type": "object", "description": "Set when a limit cut the results: what was cut and a query to see more" },
                "trace": { "$ref": "#/components/schemas/SearchTrace" }
            }},
            "SearchTrace": search_trace_schema(),
            "Repository": { "type": "object", "properties": {
                "name": { "type": "string" }, "id": { "type": "integer" }, "source": { "type": "string" },
                "branches": { "type": "array", "items": { "type": "object" } },
                "sync": { "type": ["object", "null"], "description": "state, lastFetchAt, lastSuccessAt, lastError, lastErrorAt (unix ms)" }
            }},
            "Blob": { "type": "object", "properties": {
                "repository": { "type": "string" }, "path": { "type": "string" }, "rev": { "type": "string" },
                "language": { "type": ["string", "null"] }, "content": { "type": "string" }
            }}
        }}
    })
}
