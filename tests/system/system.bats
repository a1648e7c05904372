#!/usr/bin/env bats
# version, info, help, completion, global flags, errors.

load helpers

@test "version prints client and server facts" {
    run skiff version
    assert_status 0
    assert_output_contains "Client:       skiff"
    assert_output_contains "Version:     0.1.0"
    assert_output_contains "Rootless:    $(is_rootless && echo true || echo false)"
}

@test "version --format renders a Go template" {
    run skiff version --format '{{.Client.Version}}'
    assert_status 0
    [ "$output" = "0.1.0" ]
    run skiff version --format '{{.Server.Os}}/{{.Server.Arch}}'
    [ "$output" = "linux/amd64" ] || [ "$output" = "linux/arm64" ]
}

@test "version --format json is valid JSON" {
    run skiff version --format json
    assert_status 0
    echo "$output" | jq -e '.Client.Version == "0.1.0"'
}

@test "--version and -v" {
    run skiff --version
    [ "$output" = "skiff version 0.1.0" ]
    run skiff -v
    [ "$output" = "skiff version 0.1.0" ]
}

@test "info shows host, storage and cgroup facts" {
    run skiff info
    assert_status 0
    assert_output_contains "Storage Driver:"
    assert_output_contains "Root Dir: $SKIFF_ROOT"
    assert_output_contains "Run Root: $SKIFF_RUNROOT"
    assert_output_contains "Cgroup Version:"
    assert_output_contains "Cgroup Limits:"
    assert_output_contains "Subordinate UIDs:"
    assert_output_contains "CDI Spec Dirs:"
    assert_output_contains "Rootless: $(is_rootless && echo true || echo false)"
    # The test stage (and an install) has skiff-monitor beside skiff.
    assert_output_contains "Idle Monitor: "
    run skiff info --format '{{.Host.IdleMonitor}}'
    [[ "$output" == */skiff-monitor ]]
    # Rootless a private network per container; as root Docker's bridge.
    run skiff info --format '{{.Host.DefaultNetwork}}'
    [ "$output" = "$(is_rootless && echo private || echo bridge)" ]
}

@test "info says clearly when resource limits are unavailable" {
    run skiff info --format '{{.Host.CgroupLimits}}'
    assert_status 0
    if [ "$output" = false ]; then
        run skiff info
        assert_output_contains "Cgroup Limits: unavailable: "
    fi
}

@test "info --format reads Docker's and Podman's keys" {
    run skiff info --format '{{.Store.GraphRoot}}'
    [ "$output" = "$SKIFF_ROOT" ]
    run skiff info --format '{{.Host.Security.Rootless}}'
    [ "$output" = "$(is_rootless && echo true || echo false)" ]
    run skiff info --format '{{.DockerRootDir}} {{.OSType}}'
    [ "$output" = "$SKIFF_ROOT linux" ]
    run skiff system info --format json
    echo "$output" | jq -e '.Host.Kernel | length > 0'
}

@test "info reads subordinate ID ranges from /etc/subuid" {
    is_rootless || skip "root needs no subordinate range"
    grep -q "^$(id -un):" /etc/subuid || skip "no /etc/subuid entry for $(id -un)"
    start=$(grep "^$(id -un):" /etc/subuid | head -1 | cut -d: -f2)
    run skiff info --format '{{range .Host.IDMappings.UIDMap}}{{.host_id}}{{end}}'
    assert_output_contains "$start"
}

@test "help layouts: skiff --help, help CMD, CMD --help, group" {
    run skiff --help
    assert_status 0
    assert_output_contains "Usage:  skiff [OPTIONS] COMMAND"
    assert_output_contains "Management Commands:"
    run skiff help info
    assert_status 0
    assert_output_contains "Usage:  skiff info [OPTIONS]"
    run skiff info --help
    assert_output_contains "Display system-wide information"
    run skiff system --help
    assert_status 0
    assert_output_contains "Usage:  skiff system COMMAND"
    run skiff system
    assert_output_contains "info"
    run skiff
    assert_status 0
    assert_output_contains "Commands:"
}

@test "management forms reach the same command" {
    run skiff system version --format '{{.Client.Version}}'
    [ "$output" = "0.1.0" ]
}

@test "unknown command: one-line error, suggestion, exit 125" {
    run skiff verison
    assert_status 125
    assert_one_line_error
    assert_output_contains 'did you mean "version"?'
    run skiff system inf
    assert_status 125
    assert_output_contains 'did you mean "info"?'
}

@test "a command still to come (build, compose, pod, …) says so in one line, exit 125" {
    for c in build "image build" compose pod "generate kube" "play kube" "system service"; do
        run skiff $c x
        assert_status 125
        assert_one_line_error
        assert_output_contains "is not implemented yet (planned: "
    done
}

@test "unknown flag: one-line error, suggestion, exit 125" {
    run skiff version --fromat x
    assert_status 125
    assert_one_line_error
    assert_output_contains "unknown flag: --fromat (did you mean --format?)"
    run skiff --rot /x version
    assert_status 125
    assert_output_contains "did you mean --root?"
}

@test "wrong number of arguments is an error" {
    run skiff completion
    assert_status 125
    assert_output_contains 'requires exactly 1 argument'
    run skiff version extra
    assert_status 125
}

@test "bad global flag values are refused" {
    run skiff --log-level chatty version
    assert_status 125
    assert_output_contains "invalid --log-level"
    run skiff --storage-driver zfs info
    assert_status 125
    assert_output_contains "invalid --storage-driver"
}

@test "global flags work after the command too" {
    other=$(mktemp -d)
    run "$SKIFF" info --root "$other/r" --runroot "$other/run" --format '{{.Store.GraphRoot}}'
    [ "$output" = "$other/r" ]
    rm -rf "$other"
}

@test "config file: values apply, flags override, errors name file, line and key" {
    conf=$BATS_TEST_TMPDIR/skiff.conf
    printf '[storage]\ndriver = "vfs"\n[engine]\nruntime = "runc"\n' > "$conf"
    run skiff --config "$conf" info --format '{{.Driver}} {{.Host.OCIRuntime.Name}}'
    [ "$output" = "vfs runc" ]
    run skiff --config "$conf" --storage-driver overlay info --format '{{.Driver}}'
    [ "$output" = "overlay" ]
    printf '[storage]\n\ndrivr = "vfs"\n' > "$conf"
    run skiff --config "$conf" info
    assert_status 125
    assert_one_line_error
    assert_output_contains "$conf:3: unknown key 'storage.drivr'"
    run skiff --config /nonexistent/skiff.conf info
    assert_status 125
    assert_output_contains "/nonexistent/skiff.conf"
}

@test "config is found under XDG_CONFIG_HOME for rootless users" {
    is_rootless || skip "rootless path lookup"
    export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/cfg
    mkdir -p "$XDG_CONFIG_HOME/skiff"
    printf '[storage]\ndriver = "fuse-overlayfs"\n' > "$XDG_CONFIG_HOME/skiff/skiff.conf"
    run skiff info --format '{{.Driver}}'
    [ "$output" = "fuse-overlayfs" ]
}

@test "default paths: XDG when rootless, /var/lib/skiff as root" {
    if is_rootless; then
        run env XDG_DATA_HOME=/tmp/xdgdata-$$ "$SKIFF" info --format '{{.Store.GraphRoot}}'
        [ "$output" = "/tmp/xdgdata-$$/skiff" ]
        run env -u XDG_RUNTIME_DIR "$SKIFF" info --format '{{.Store.RunRoot}}'
        [[ "$output" == /run/user/$(id -u)/skiff || "$output" == /tmp/skiff-run-$(id -u)/skiff ]]
        rm -rf /tmp/xdgdata-$$
    else
        run "$SKIFF" info --format '{{.Store.GraphRoot}} {{.Store.RunRoot}}'
        [ "$output" = "/var/lib/skiff /run/skiff" ]
    fi
}

@test "completion scripts for bash, zsh and fish" {
    run skiff completion bash
    assert_status 0
    assert_output_contains "complete -F _skiff skiff"
    run skiff completion zsh
    assert_output_contains "#compdef skiff"
    run skiff completion fish
    assert_output_contains "complete -c skiff"
    run skiff completion tcsh
    assert_status 125
}

@test "bash completion completes commands, subcommands and flags" {
    source <("$SKIFF" completion bash)
    COMP_WORDS=(skiff ver); COMP_CWORD=1; _skiff
    [[ " ${COMPREPLY[*]} " == *" version "* ]]
    COMP_WORDS=(skiff system in); COMP_CWORD=2; _skiff
    [[ " ${COMPREPLY[*]} " == *" info "* ]]
    COMP_WORDS=(skiff info --for); COMP_CWORD=2; _skiff
    [[ " ${COMPREPLY[*]} " == *" --format "* ]]
    COMP_WORDS=(skiff --log-level de); COMP_CWORD=2; _skiff
    [[ " ${COMPREPLY[*]} " == *" debug "* ]]
}

@test "man pages and completions in the tree match the command table" {
    out=$BATS_TEST_TMPDIR/docs
    skiff __docs "$out/man" "$out/completions"
    diff -r "$out/man" "$BATS_TEST_DIRNAME/../../man" -x meson.build
    diff -r "$out/completions" "$BATS_TEST_DIRNAME/../../completions" -x meson.build
}

@test "every command has a man page" {
    for cmd in version info help completion; do
        [ -f "$BATS_TEST_DIRNAME/../../man/skiff-$cmd.1" ]
    done
    man -l "$BATS_TEST_DIRNAME/../../man/skiff-info.1" 2>/dev/null | grep -q "OPTIONS" || \
        grep -q '^.SH OPTIONS' "$BATS_TEST_DIRNAME/../../man/skiff-info.1"
}

@test "--log-level debug says what skiff does; the default is quiet" {
    run skiff --log-level debug info --format '{{.Driver}}'
    assert_output_contains 'level=debug msg="command: skiff info"'
    assert_output_contains "level=debug msg=\"root $SKIFF_ROOT"
    run skiff info --format '{{.Driver}}'
    [[ "$output" != *level=debug* ]]
}
