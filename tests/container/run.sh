#!/usr/bin/env bash
# The container test: builds the image (deploy/docker/build.sh), checks its size and
# hardening, runs deploy/compose/compose.yaml with a fixture directory mounted read-only,
# searches it through the API, restarts the container and shows that the index survived without
# being rebuilt, then (step 2) does the same for a bare git repository if the binary can sync
# git without the git command. Always tears down (containers, network, volume, temp files).
#
#   tests/container/run.sh          (needs Docker, docker-compose or `docker compose`, curl, jq)
set -euo pipefail
umask 022
root=$(cd "$(dirname "$0")/../.." && pwd)
compose_file=$root/deploy/compose/compose.yaml
image=${QUARRY_TEST_IMAGE:-quarry:ci}
max_bytes=$((30 * 1000 * 1000))
project=quarry-ctest-$$
work=
started=$SECONDS

step() { printf '\n--> [%3ds] %s\n' $((SECONDS - started)) "$*"; }
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || fail "$1 is needed"; }
need docker; need curl; need jq; need git

if docker-compose version >/dev/null 2>&1; then compose_cmd=(docker-compose)
elif docker compose version >/dev/null 2>&1; then compose_cmd=(docker compose)
else fail "neither docker-compose nor the docker compose plugin is installed"; fi
compose() { "${compose_cmd[@]}" -p "$project" -f "$compose_file" -f "$work/compose.test.yaml" "$@"; }

teardown() {
  local rc=$?
  set +e
  if [[ -n $work ]]; then
    if ((rc != 0)); then
      echo "--- container logs (last 60 lines) ---" >&2
      compose logs --no-color --tail=60 >&2 2>/dev/null
    fi
    compose down -v --remove-orphans >/dev/null 2>&1
    rm -rf "$work"
  fi
  if ((rc == 0)); then echo "container test: OK ($((SECONDS - started)) s)"; fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- image
step "building the image $image (deploy/docker/build.sh)"
old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
t=$SECONDS
"$root/deploy/docker/build.sh" --tag "$image"
echo "image built in $((SECONDS - t)) s"
new_id=$(docker image inspect -f '{{.Id}}' "$image")
if [[ -n $old_id && $old_id != "$new_id" ]]; then docker rmi "$old_id" >/dev/null 2>&1 || true; fi

size=$(docker image inspect -f '{{.Size}}' "$image")
echo "image size: $size bytes (limit $max_bytes)"
((size <= max_bytes)) || fail "the image is $size bytes, over 30 MB"
user=$(docker image inspect -f '{{.Config.User}}' "$image")
[[ $user == 65532:65532 ]] || fail "the image runs as ${user:-root}, not 65532:65532"
docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$image" | grep -q '"health"' ||
  fail "the image has no HEALTHCHECK running quarry health"
layers=$(docker history --no-trunc --format '{{.CreatedBy}}' "$image" | grep -c 'COPY' || true)
echo "image user $user, healthcheck set, $layers COPY layers, no base image"

# ---------------------------------------------------------------- fixtures
work=$(mktemp -d /var/tmp/quarry-ctest.XXXXXX)
chmod 0755 "$work"
mkdir -p "$work/repos/fixture/src" "$work/repos/fixture/docs"
cat >"$work/repos/fixture/src/lib.rs" <<'EOF'
/// Marks the container test's fixture.
pub fn container_fixture_marker() -> &'static str {
    "quarry runs in a read-only container"
}
EOF
printf '# fixture\nSearched through the API of the compose node.\n' >"$work/repos/fixture/docs/README.md"
cat >"$work/quarry.toml" <<'EOF'
listen = "0.0.0.0:7340"
data_dir = "/data"

[[repos]]
path = "/repos/fixture"
EOF
# The same compose file as users run; the test only publishes a free port, mounts its own
# config and fixtures, and probes health every second instead of every 30 s.
cat >"$work/compose.test.yaml" <<'EOF'
services:
  quarry:
    healthcheck:
      interval: 1s
      start_period: 30s
EOF
export QUARRY_IMAGE=$image QUARRY_PUBLISH=127.0.0.1: QUARRY_CONFIG=$work/quarry.toml \
  QUARRY_REPOS_DIR=$work/repos

# ---------------------------------------------------------------- helpers
cid() { compose ps -q quarry; }
base=
find_port() {
  local p
  p=$(compose port quarry 7340 | tail -1)
  [[ -n $p ]] || fail "no published port"
  base="http://$p"
}
token=
api() { curl -fsS -H "Authorization: token $token" "$base$1"; }
# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every half second.
wait_for() {
  local limit=$1 what=$2 deadline=$((SECONDS + $1)); shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what: not within $limit s"
    sleep 0.5
  done
}
healthy() { [[ $(docker inspect -f '{{.State.Health.Status}}' "$(cid)") == healthy ]]; }
ready() { curl -fsS "$base/readyz" >/dev/null; }
indexed() { [[ $(api "/api/repos/$1" | jq '.branches | length') -gt 0 ]]; }
# search QUERY TEXT: the search API finds a line containing TEXT.
search_finds() {
  api "/api/search?q=$1" | jq -e --arg t "$2" '[.. | strings | select(contains($t))] | length > 0'
}
exec_quarry() { compose exec -T quarry quarry "$@"; }

# ---------------------------------------------------------------- start
step "starting the compose node (project $project)"
compose up -d
find_port
wait_for 120 "container healthy (docker health status)" healthy
echo "healthy; listening on $base"

step "hardening: non-root, read-only root filesystem, no capabilities"
uids=$(docker top "$(cid)" -o pid,uid | awk 'NR > 1 {print $2}' | sort -u | paste -sd' ')
[[ $uids == 65532 ]] || fail "processes run as uid(s) $uids, not 65532 only"
[[ $(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$(cid)") == true ]] || fail "root filesystem is writable"
docker inspect -f '{{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}}' "$(cid)" |
  grep -q '"ALL".*no-new-privileges' || fail "capabilities are not all dropped or no-new-privileges is off"
if out=$(exec_quarry index --data /etc/quarry/probe /repos/fixture 2>&1); then
  fail "quarry could write to /etc in the container"
fi
grep -qi 'read-only' <<<"$out" || fail "writing to /etc failed, but not because the filesystem is read-only: $out"
echo "uid $uids; writing outside /data fails: $(grep -i -m1 'read-only' <<<"$out")"
# Name lookup in the static binary without NSS modules (Docker's /etc/hosts).
exec_quarry health --url http://localhost:7340/healthz || fail "the health check cannot resolve localhost"

step "sign-in is required off loopback; creating an admin token with quarry admin"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/search?q=container_fixture_marker")
[[ $code == 401 ]] || fail "anonymous search answered $code, not 401"
exec_quarry admin user create ci --admin --no-password
token=$(exec_quarry admin token create --user ci 2>/dev/null | tr -d '\r\n')
[[ -n $token ]] || fail "no token printed"

step "indexing the mounted directory and searching it through the API"
wait_for 120 "fixture indexed" indexed fixture
search_finds container_fixture_marker 'pub fn container_fixture_marker()' >/dev/null ||
  fail "search did not return the fixture's line: $(api '/api/search?q=container_fixture_marker')"
echo "found: $(api '/api/search?q=container_fixture_marker' | jq -c '{matchCount, durationMs}')"
before=$(api /api/repos/fixture | jq -c '[.branches[] | {commit, indexedAt, shards}]')
manifest() { docker cp "$(cid):/data/repos/fixture.json" - | tar -xO | jq -c '{generation, commit}'; }
manifest_before=$(manifest)
echo "index before restart: $before; manifest $manifest_before"

step "restarting the container"
restart_ms=$(($(date +%s) * 1000))
compose restart quarry
find_port
wait_for 60 "ready after restart (/readyz)" ready
# Searchable at once from the volume: the hit is there as soon as the server is ready.
search_finds container_fixture_marker 'pub fn container_fixture_marker()' >/dev/null ||
  fail "after the restart the index did not answer at once"
echo "searchable as soon as ready; the token created before the restart still works"
synced_after_restart() {
  [[ $(api /api/repos/fixture | jq --argjson t "$restart_ms" '(.sync.lastSuccessAt // 0) >= $t') == true ]]
}
wait_for 60 "a sync of fixture after the restart" synced_after_restart
after=$(api /api/repos/fixture | jq -c '[.branches[] | {commit, indexedAt, shards}]')
manifest_after=$(manifest)
echo "index after restart and a sync: $after; manifest $manifest_after"
[[ $after == "$before" ]] || fail "the index changed across the restart: $before -> $after"
[[ $manifest_after == "$manifest_before" ]] || fail "the manifest generation changed: re-indexed"
logs=$(docker logs "$(cid)" 2>&1)
starts=$(grep -c 'serving http:' <<<"$logs" || true)
indexings=$(grep -c 'indexed fixture' <<<"$logs" || true)
((starts == 2)) || fail "expected 2 starts in the log, saw $starts"
((indexings == 1)) || fail "fixture was indexed $indexings times over 2 starts (expected once)"
grep 'ready: ' <<<"$logs" | tail -1
echo "2 starts, 1 indexing: the second start synced, found the tree unchanged and re-indexed nothing"

# ---------------------------------------------------------------- step 2: git
step "STEP 2: a bare git repository mounted into the container (needs git sync without the git command)"
src=$work/gitsrc
mkdir -p "$src"
printf 'package fixture\n\nfunc GitFixtureMarker() string { return "synced without git" }\n' >"$src/fixture.go"
git -C "$src" init -q -b main
git -C "$src" -c user.name=ci -c user.email=ci@localhost add .
git -C "$src" -c user.name=ci -c user.email=ci@localhost commit -qm fixture
git clone -q --bare "$src" "$work/repos/gitfixture.git"
printf '\n[[repos]]\nname = "gitfixture"\npath = "/repos/gitfixture.git"\n' >>"$work/quarry.toml"
compose restart quarry
find_port
wait_for 60 "ready after adding the git repository" ready
git_settled() {
  api /api/repos/gitfixture | jq -e '(.branches | length > 0) or .sync.lastError != null'
}
wait_for 120 "gitfixture indexed or failed" git_settled
status=$(api /api/repos/gitfixture)
if [[ $(jq '.branches | length' <<<"$status") == 0 ]]; then
  err=$(jq -r '.sync.lastError' <<<"$status")
  if grep -q 'could not run git' <<<"$err"; then
    cat >&2 <<EOF

  ######################################################################################
  ##  SKIP (step 2, git): this binary syncs git repositories with the git command,     ##
  ##  which the image does not contain. This step must pass once sync uses gix.        ##
  ##  error: $(cut -c1-76 <<<"$err")
  ######################################################################################

EOF
    exit 0
  fi
  # Note: gix's file:// transport spawns git-upload-pack, so fetching from a local path needs
  # the git command unless sync reads a local repository's object store directly.
  fail "the git repository mounted at /repos/gitfixture.git failed to sync in the image (no git command there): $err"
fi
search_finds GitFixtureMarker 'func GitFixtureMarker()' >/dev/null ||
  fail "search did not return the git fixture's line"
echo "git repository indexed from the object store and searchable: $(jq -c '[.branches[] | {name, commit}]' <<<"$status")"
