// The state schema, one SQL script per version. Released versions are never
// edited: a change is a new entry appended at the end.
#include "state/db.hpp"

namespace skiff::state {

const std::vector<std::string_view>& migrations() {
    static const std::vector<std::string_view> all = {
        // Version 1: images, layers, containers, volumes, networks.
        R"sql(
CREATE TABLE layers (
    id TEXT PRIMARY KEY,              -- chain ID (hex): identity of the stack up to here
    parent TEXT REFERENCES layers(id),
    diff_id TEXT NOT NULL,            -- sha256 of the uncompressed tar
    blob_digest TEXT,                 -- compressed blob it came from, if known
    blob_size INTEGER,
    size INTEGER NOT NULL,            -- uncompressed bytes
    created INTEGER NOT NULL
);
CREATE TABLE images (
    id TEXT PRIMARY KEY,              -- config digest (hex), as Docker's image ID
    top_layer TEXT REFERENCES layers(id),
    config TEXT NOT NULL,             -- the image config JSON, verbatim
    manifest TEXT,                    -- the manifest JSON it was stored with
    manifest_digest TEXT,
    created INTEGER NOT NULL,         -- ns, from the config
    added INTEGER NOT NULL,           -- ns, when stored here
    size INTEGER NOT NULL
);
CREATE TABLE image_names (
    name TEXT PRIMARY KEY,            -- fully qualified: docker.io/library/busybox:latest
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
);
CREATE INDEX image_names_by_image ON image_names(image_id);
CREATE TABLE image_digests (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    repo_digest TEXT NOT NULL,        -- repo@sha256:…
    PRIMARY KEY (image_id, repo_digest)
);
CREATE TABLE containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    image_id TEXT REFERENCES images(id),
    image_name TEXT NOT NULL,
    created INTEGER NOT NULL,
    spec TEXT NOT NULL,               -- the ContainerSpec JSON
    state TEXT NOT NULL DEFAULT 'created',
    pid INTEGER NOT NULL DEFAULT 0,
    monitor_pid INTEGER NOT NULL DEFAULT 0,
    exit_code INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER NOT NULL DEFAULT 0,
    restart_count INTEGER NOT NULL DEFAULT 0,
    boot_id TEXT NOT NULL DEFAULT ''  -- boot the pids belong to
);
CREATE TABLE volumes (
    name TEXT PRIMARY KEY,
    driver TEXT NOT NULL DEFAULT 'local',
    created INTEGER NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    options TEXT NOT NULL DEFAULT '{}',
    anonymous INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    config TEXT NOT NULL
);
)sql",
        // Version 2: store-wide settings (the storage driver the store was
        // created with).
        R"sql(
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
)sql",
        // Version 3: layers written without waiting for the disk. A boot ID
        // here means the files may still be only in that boot's page cache
        // (see image::Store::settle_unsynced); NULL means they are on disk.
        R"sql(
ALTER TABLE layers ADD COLUMN unsynced_boot TEXT;
CREATE INDEX layers_unsynced ON layers(unsynced_boot) WHERE unsynced_boot IS NOT NULL;
)sql",
        // Version 4: containers on user-defined networks. An address is
        // unique on its network (the constraint settles concurrent creates).
        R"sql(
CREATE TABLE network_attachments (
    container_id TEXT NOT NULL,
    network_id TEXT NOT NULL,
    ifname TEXT NOT NULL,
    ip TEXT NOT NULL,
    mac TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (container_id, network_id),
    UNIQUE (network_id, ip),
    UNIQUE (container_id, ifname)
);
CREATE INDEX network_attachments_by_network ON network_attachments(network_id);
)sql",
        // Version 5: IPv6 addresses on dual-stack networks ('' = none), as
        // unique on their network as the IPv4 ones.
        R"sql(
ALTER TABLE network_attachments ADD COLUMN ip6 TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX network_attachments_ip6 ON network_attachments(network_id, ip6) WHERE ip6 != '';
)sql",
        // Version 6: why a container ended other than by its own exit
        // (inspect's State.Error), '' when it simply exited.
        R"sql(
ALTER TABLE containers ADD COLUMN error TEXT NOT NULL DEFAULT '';
)sql",
    };
    return all;
}

}  // namespace skiff::state
