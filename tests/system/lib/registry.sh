# Test registries for registry.bats: Debian's docker-registry (CNCF
# Distribution) on 127.0.0.1 at a free port, plain or with TLS and htpasswd
# auth, and the fake registry for failures a real one does not produce.

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# make_ca DIR: DIR/ca.crt, and DIR/server.{crt,key} for 127.0.0.1 and localhost.
make_ca() {
    local d=$1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=skiff test CA" -keyout "$d/ca.key" -out "$d/ca.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        > "$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
        -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
    # A client certificate, for registries that ask for one (certs.d's
    # *.cert and *.key).
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=skiff test client" \
        -keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > "$d/client.ext"
    openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
        -extfile "$d/client.ext" -out "$d/client.cert" 2>/dev/null
}

# htpasswd_line USER PASS: Distribution only takes bcrypt, which libc's
# crypt (libxcrypt) makes; perl reaches it without apache2-utils.
htpasswd_line() {
    local hash
    hash=$(perl -e 'print crypt($ARGV[0], q($2b$05$) . $ARGV[1])' "$2" "skiffTestSaltForBcrypt") || return 1
    [[ $hash == '$2b$'* ]] || { echo "no bcrypt in this libc's crypt()" >&2; return 1; }
    echo "$1:$hash"
}

# start_registry DIR [--tls] [--client-certs] [--auth USER PASS]
# Prints HOST:PORT once the registry answers; its pid is in DIR/pid.
start_registry() {
    local dir=$1 tls=0 client=0 user="" pass=""
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --tls) tls=1 ;;
        --client-certs) tls=1 client=1 ;;
        --auth) user=$2 pass=$3; shift 2 ;;
        esac
        shift
    done
    mkdir -p "$dir/data"
    local port; port=$(free_port)
    {
        echo "version: 0.1"
        echo "log:"
        echo "  level: error"
        echo "  accesslog:"
        echo "    disabled: true"
        echo "storage:"
        echo "  filesystem:"
        echo "    rootdirectory: $dir/data"
        echo "  delete:"
        echo "    enabled: true"
        echo "http:"
        echo "  addr: 127.0.0.1:$port"
        if [ $tls = 1 ]; then
            echo "  tls:"
            echo "    certificate: $dir/server.crt"
            echo "    key: $dir/server.key"
            if [ $client = 1 ]; then
                echo "    clientcas:"
                echo "      - $dir/ca.crt"
            fi
        fi
        if [ -n "$user" ]; then
            echo "auth:"
            echo "  htpasswd:"
            echo "    realm: skiff-test"
            echo "    path: $dir/htpasswd"
        fi
    } > "$dir/config.yml"
    [ $tls = 1 ] && make_ca "$dir"
    [ -n "$user" ] && htpasswd_line "$user" "$pass" > "$dir/htpasswd"
    # fd 3 is bats's: a server holding it would keep bats waiting.
    # Distribution reads REGISTRY_* variables as configuration: Podman's
    # REGISTRY_AUTH_FILE would be taken for an auth section.
    local unset_vars=()
    for v in $(compgen -e | grep '^REGISTRY_'); do unset_vars+=(-u "$v"); done
    env "${unset_vars[@]}" docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 3>&- &
    echo $! > "$dir/pid"
    local scheme=http curl_tls=()
    [ $tls = 1 ] && scheme=https curl_tls=(--cacert "$dir/ca.crt")
    [ $client = 1 ] && curl_tls+=(--cert "$dir/client.cert" --key "$dir/client.key")
    for _ in $(seq 100); do
        local code
        code=$(curl -s -o /dev/null -w '%{http_code}' "${curl_tls[@]}" "$scheme://127.0.0.1:$port/v2/" 2>/dev/null)
        if [ "$code" = 200 ] || [ "$code" = 401 ]; then
            echo "127.0.0.1:$port"
            return 0
        fi
        sleep 0.1
    done
    echo "docker-registry did not start:" >&2
    cat "$dir/log" >&2
    return 1
}

# stop_registry DIR
stop_registry() {
    [ -f "$1/pid" ] || return 0
    local pid
    pid=$(cat "$1/pid")
    kill "$pid" 2>/dev/null || true
    # Started in a command substitution, it is not this shell's child: poll.
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    rm -f "$1/pid"
}

# start_fake DIR MODE [USER:PASS]: the fake registry serving the test image
# as test/busybox:latest; prints HOST:PORT.
start_fake() {
    local dir=$1 mode=$2 user=${3:-}
    mkdir -p "$dir"
    rm -f "$dir/port"
    python3 "$BATS_TEST_DIRNAME/lib/registry_fake.py" --layout "$TEST_IMAGES/oci" --mode "$mode" \
        ${user:+--user "$user"} --port-file "$dir/port" > /dev/null 2> "$dir/log" 3>&- &
    echo $! > "$dir/pid"
    for _ in $(seq 100); do
        [ -f "$dir/port" ] && { echo "127.0.0.1:$(cat "$dir/port")"; return 0; }
        sleep 0.05
    done
    echo "the fake registry did not start:" >&2
    cat "$dir/log" >&2
    return 1
}

# reg_put_blob REG REPO FILE: uploads FILE to a plain-HTTP registry as a
# blob (POST, then PUT with the digest); prints the digest.
reg_put_blob() {
    local reg=$1 repo=$2 file=$3 digest loc
    digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
    loc=$(curl -fsS -X POST -D - -o /dev/null "http://$reg/v2/$repo/blobs/uploads/" | tr -d '\r' |
        sed -n 's/^[Ll]ocation: //p')
    case $loc in http*) ;; *) loc="http://$reg$loc" ;; esac
    case $loc in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
    curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$loc" > /dev/null || return 1
    echo "$digest"
}

# reg_put_manifest REG REPO REF MEDIA_TYPE FILE
reg_put_manifest() {
    curl -fsS -X PUT -H "Content-Type: $4" --data-binary "@$5" "http://$1/v2/$2/manifests/$3" > /dev/null
}

# reg_get REG PATH [CURL ARGS…]: GET from a plain-HTTP registry's API.
reg_get() {
    local reg=$1 path=$2
    shift 2
    curl -fsS "$@" "http://$reg$path"
}
